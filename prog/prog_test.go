// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pagesim/kernel"
	"pagesim/sim"
)

func corpus(t *testing.T) map[string]*Program {
	t.Helper()
	files, err := filepath.Glob("testdata/*.prog")
	if err != nil || len(files) < 6 {
		t.Fatalf("corpus: %v, %d files", err, len(files))
	}
	out := map[string]*Program{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(f, src)
		if err != nil {
			t.Fatalf("%v", err)
		}
		out[filepath.Base(f)] = p
	}
	return out
}

func mustParse(t *testing.T, src string) *Program {
	t.Helper()
	p, err := Parse("t.prog", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return p
}

// TestRoundTrip: for every program in the corpus, the printed text parses
// to an equal program, and printing is a fixed point.
func TestRoundTrip(t *testing.T) {
	for name, p := range corpus(t) {
		text := p.String()
		q, err := Parse(name, []byte(text))
		if err != nil {
			t.Errorf("%s: printed text does not parse: %v\n%s", name, err, text)
			continue
		}
		if !Equal(p, q) {
			t.Errorf("%s: parse(print(p)) != p\n%s", name, text)
		}
		if q.String() != text {
			t.Errorf("%s: print is not canonical:\n%s\nthen\n%s", name, text, q.String())
		}
	}
}

// TestCanonical: a program written loosely prints in the one canonical
// form: resources renumbered in order, sizes with their largest suffix,
// defaults left out, header directives in a fixed order, comments kept.
func TestCanonical(t *testing.T) {
	src := `# top
# of the program

swap 0x20000000   # half a gig
mem   1024M
mount ext4 "/mnt/e" 1048576K latency=1000us
kernel v3.16-rc1 +debug-put-new-page-check
sysctl vm.dirty_ratio=10
   main :  r7=mmap( 0x400000 , rw , off = 0 )
# the file
main: r3 = open("/mnt/e/f", create)

main: touch( r7 + 4096 , 4K , write , token = 7 , stride = 0x1000 )
main: madvise(r7, 4M, MADV_DONTNEED)    # back to zero
main: r9 = mmap(8K, r, fd=r3, off=-0)
main: pread(r3, 1G, -4096)
main: msync(r9, 8K, 6)
main: alloc_pages(0, __GFP_WAIT|__GFP_IO|__GFP_FS|__GFP_COMP|0x1000000)
main: sleep(2000000ns)
main: swapon(prio=-1)

# the end
`
	want := `# top
# of the program
# half a gig
mem 1G
swap 512M
kernel v3.16-rc1 +debug-put-new-page-check
mount ext4 /mnt/e 1G latency=1ms
sysctl vm.dirty_ratio=10

main: r0 = mmap(4M, rw)
# the file
main: r1 = open(/mnt/e/f, create)
main: touch(r0+4K, 4K, write, stride=4K, token=7)
main: madvise(r0, 4M, dontneed)  # back to zero
main: r2 = mmap(8K, r, fd=r1)
main: pread(r1, 1G, -4K)
main: msync(r2, 8K, invalidate|sync)
main: alloc_pages(0, GFP_KERNEL|__GFP_COMP|__GFP_WRITE)
main: sleep(2ms)
main: swapon()

# the end
`
	p := mustParse(t, src)
	if got := p.String(); got != want {
		t.Errorf("printed:\n%s\nwant:\n%s", got, want)
	}
	if q := mustParse(t, want); !Equal(p, q) {
		t.Error("the canonical text parses to a different program")
	}
}

// TestComments: comment blocks attach to the call below them; a block
// set off by a blank line before the first call belongs to the program.
func TestComments(t *testing.T) {
	p := mustParse(t, "# program\n\n# call\nmain: exit()  # why\n# trailer\n")
	if len(p.Doc) != 1 || p.Doc[0] != " program" || len(p.Calls[0].Doc) != 1 || p.Calls[0].Doc[0] != " call" ||
		p.Calls[0].Comment != " why" || len(p.Trailer) != 1 {
		t.Errorf("comments: doc %q call doc %q comment %q trailer %q", p.Doc, p.Calls[0].Doc, p.Calls[0].Comment, p.Trailer)
	}
}

// TestRunErrnos runs errnos.prog, whose lines each say in a comment the
// errno Linux returns for them (no comment: success).
func TestRunErrnos(t *testing.T) {
	p := corpus(t)["errnos.prog"]
	res, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("run failed: %+v %v\n%s", res.Kernel, res.Invariants, res.Machine.Log.String())
	}
	for i, c := range p.Calls {
		want := ""
		if f := strings.Fields(c.Comment); len(f) > 0 && strings.HasPrefix(f[0], "E") {
			want = strings.TrimSuffix(f[0], ":")
		}
		cr := res.Calls[i]
		if !cr.Executed || cr.Errno != want {
			t.Errorf("line %d: %s: errno %q (executed %v), want %q", c.Pos.Line, p.CallString(i), cr.Errno, cr.Executed, want)
		}
		if want != "" && cr.Ret != -1 {
			t.Errorf("line %d: failed call returned %d, want -1", c.Pos.Line, cr.Ret)
		}
	}
}

// TestRunResults runs a small program and checks each call's result:
// descriptors, byte counts, the shared file position, fork's PID, and
// that nothing runs after exit.
func TestRunResults(t *testing.T) {
	p := mustParse(t, `mem 128M
mount ext4 /mnt/e 64M

main: r0 = open(/mnt/e/f, create)
main: write(r0, 10K)
main: write(r0, 6K)
main: read(r0, 4K)
main: pread(r0, 64K, 4K)
main: r1 = mmap(16K, rw, shared, fd=r0)
main: touch(r1, 16K, read)
main: touch(r1+16K, 4K, read)
main: fork(kid)
kid: r2 = open(/mnt/e/f)
kid: ftruncate(r0, 1K)
kid: read(r2, 4K)
kid: exit()
main: sleep(1ms)
main: pread(r0, 4K, 0)
main: r3 = alloc_pages(2, GFP_KERNEL)
main: free_pages(r3)
main: close(r0)
main: close(r0)
`)
	res, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Failed() {
		t.Fatalf("run failed: %+v %v %d\n%s", res.Kernel, res.Invariants, res.DataIntegrityErrors, res.Machine.Log.String())
	}
	type want struct {
		ret   int64
		errno string
	}
	wants := []want{
		{3, ""}, {10240, ""}, {6144, ""}, {0, ""}, {12288, ""},
		{-2, ""}, {0, ""}, {-1, "EFAULT"}, {-2, ""},
		{4, ""}, {0, ""}, {1024, ""}, {0, ""},
		{0, ""}, {1024, ""}, {-2, ""}, {0, ""}, {0, ""}, {-1, "EBADF"},
	}
	for i, w := range wants {
		cr := res.Calls[i]
		if !cr.Executed || cr.Errno != w.errno || (w.ret != -2 && cr.Ret != w.ret) || (w.ret == -2 && cr.Ret <= 0) {
			t.Errorf("%s: ret %d errno %q executed %v, want %d %q", p.CallString(i), cr.Ret, cr.Errno, cr.Executed, w.ret, w.errno)
		}
	}
	if res.Calls[8].Ret != int64(res.Calls[9].PID) {
		t.Errorf("fork returned %d, the child's calls ran as pid %d", res.Calls[8].Ret, res.Calls[9].PID)
	}
	if len(res.Trace) != len(p.Calls) || !strings.Contains(strings.Join(res.Trace, "\n"), "]: close(r0) = -1 EBADF") {
		t.Errorf("trace:\n%s", strings.Join(res.Trace, "\n"))
	}
}

// TestRunNotExecuted: a killed or exited task's later calls, and the
// lines of a child whose fork failed, are not executed.
func TestRunNotExecuted(t *testing.T) {
	p := mustParse(t, `main: r0 = mmap(4K, rw)
main: fork(kid)
kid: exit()
main: exit()
`)
	res, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, cr := range res.Calls {
		if !cr.Executed {
			t.Errorf("call %d not executed", i)
		}
	}
}

// TestRunOops: a double free_pages oopses the machine; the oops is in the
// result, not a Go panic, and the calls after it never ran.
func TestRunOops(t *testing.T) {
	p := mustParse(t, `mem 128M
drv: r0 = alloc_pages(0, GFP_KERNEL)
drv: free_pages(r0)
drv: free_pages(r0)
drv: sleep(1ms)
`)
	res, err := Run(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Kernel.Oops == nil || !strings.Contains(res.Machine.Log.String(), "kernel BUG at include/linux/mm.h:321!") {
		t.Fatalf("want the double-free BUG, got %+v\n%s", res.Kernel, res.Machine.Log.String())
	}
	if res.Calls[3].Executed {
		t.Error("a call after the oops ran")
	}
}

// TestRunHeader: the header reaches the machine and the command line's
// overrides win over it.
func TestRunHeader(t *testing.T) {
	p := mustParse(t, `mem 256M
nodes 2
cpus 4
swap 64M
seed 9
sched random
mount tmpfs /tmp 16M
sysctl vm.swappiness=7
sysctl vm.dirty_bytes=1M

main: sleep(1ms)
`)
	cfg := p.Config()
	if cfg.MemBytes != 256<<20 || cfg.Nodes != 2 || cfg.CPUs != 4 || cfg.SwapBytes != 64<<20 || cfg.Seed != 9 ||
		cfg.Policy != sim.Random || len(cfg.Mounts) != 1 || cfg.Mounts[0].Type != "tmpfs" {
		t.Errorf("config %+v", cfg)
	}
	var seen *kernel.Machine
	res, err := Run(p, Options{
		Override: func(c *kernel.Config) { c.MemBytes = 512 << 20 },
		Setup:    func(m *kernel.Machine) { seen = m },
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != res.Machine || res.Machine.Cfg.MemBytes != 512<<20 {
		t.Errorf("override or setup not applied")
	}
	if d := res.Machine.MM.Dirty(); d.DirtyBytes != 1<<20 || d.DirtyRatio != 0 {
		t.Errorf("sysctl vm.dirty_bytes: %+v", d)
	}
	swaps, _ := res.Machine.Proc("/proc/swaps")
	if !strings.Contains(swaps, "/dev/sd") {
		t.Errorf("no swap:\n%s", swaps)
	}
}

// TestRunCorpus runs every program in the corpus: each must run clean
// (no oops, no lost data, the invariants hold).
func TestRunCorpus(t *testing.T) {
	for name, p := range corpus(t) {
		res, err := Run(p, Options{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if res.Failed() {
			t.Errorf("%s: %+v integrity %d invariants %v\n%s", name, res.Kernel, res.DataIntegrityErrors, res.Invariants, res.Machine.Log.String())
		}
		for i, cr := range res.Calls {
			if !cr.Executed {
				t.Errorf("%s: %s not executed", name, p.CallString(i))
			}
		}
	}
}

// TestDeterminism: the same program with the same seed gives the same
// calls, results, kernel log and /proc files, under either scheduler.
func TestDeterminism(t *testing.T) {
	progs := corpus(t)
	for _, name := range []string{"fork-cow.prog", "writeback.prog", "driver.prog"} {
		for _, policy := range []sim.Policy{sim.RoundRobin, sim.Random} {
			for seed := uint64(1); seed <= 2; seed++ {
				var outs [2]string
				for k := range outs {
					res, err := Run(progs[name], Options{Override: func(c *kernel.Config) { c.Policy, c.Seed = policy, seed }})
					if err != nil {
						t.Fatal(err)
					}
					vmstat, _ := res.Machine.Proc("/proc/vmstat")
					outs[k] = strings.Join(res.Trace, "\n") + res.Machine.Log.String() + vmstat
				}
				if outs[0] != outs[1] {
					t.Errorf("%s %v seed %d: two runs differ", name, policy, seed)
				}
			}
		}
	}
}

// TestDocExamples parses and runs every program in docs/programs.md.
func TestDocExamples(t *testing.T) {
	doc, err := os.ReadFile("../docs/programs.md")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, block := range strings.Split(string(doc), "```") {
		if i%2 == 0 || !strings.Contains(block, "(") || strings.Contains(block, "hint:") {
			continue
		}
		block = strings.TrimPrefix(block, "\n")
		hasCall := false
		for _, l := range strings.Split(block, "\n") {
			if f := strings.SplitN(l, ":", 2); len(f) == 2 && taskProblem(f[0]) == "" && strings.HasPrefix(f[1], " ") {
				hasCall = true
			}
		}
		if !hasCall {
			continue
		}
		n++
		p, err := Parse("docs/programs.md", []byte(block))
		if err != nil {
			t.Errorf("example %d: %v\n%s", n, err, block)
			continue
		}
		res, err := Run(p, Options{})
		if err != nil || res.Kernel.Err != nil {
			t.Errorf("example %d: %v %v", n, err, res.Kernel.Err)
		}
	}
	if n < 5 {
		t.Errorf("found %d examples", n)
	}
}
