// SPDX-License-Identifier: GPL-2.0-only

package examples

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"pagesim/fs"
	"pagesim/kernel"
	"pagesim/mm"
	"pagesim/prog"
)

// run parses, round-trips, validates and runs an example, and fails the
// test for anything that went wrong on the machine or a call whose errno
// differs from what the line's comment expects (none, unless the comment
// names one).
func run(t *testing.T, e Example, opts prog.Options) (*prog.Program, *prog.Result) {
	t.Helper()
	file := e.Name + ".prog"
	p, err := prog.Parse(file, e.Source)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	printed := prog.Print(p)
	q, err := prog.Parse(file+" (printed)", printed)
	if err != nil {
		t.Fatalf("parse of the printed program: %v\n%s", err, printed)
	}
	if !prog.Equal(p, q) {
		t.Fatalf("printed program does not parse back equal:\n%s", printed)
	}
	if err := prog.Validate(p); err != nil {
		t.Fatalf("validate: %v", err)
	}
	res, err := prog.Run(p, opts)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Kernel.Failed() {
		t.Errorf("kernel: %+v", res.Kernel)
	}
	if res.DataIntegrityErrors != 0 {
		t.Errorf("%d data integrity errors", res.DataIntegrityErrors)
	}
	for _, inv := range res.Invariants {
		t.Errorf("invariant: %s", inv)
	}
	if log := res.Machine.Log.String(); strings.Contains(log, "oom-killer") || strings.Contains(log, "Killed process") {
		t.Errorf("the OOM killer ran")
	}
	for i, c := range p.Calls {
		cr := res.Calls[i]
		line := p.CallString(i)
		if !cr.Executed {
			t.Errorf("line %d not executed: %s", c.Pos.Line, line)
			continue
		}
		if want := expectedErrno(c.Comment); cr.Errno != want {
			t.Errorf("line %d: %s: errno %q, want %q", c.Pos.Line, line, cr.Errno, want)
		}
	}
	return p, res
}

var errnoWord = regexp.MustCompile(`\bE[A-Z0-9]{2,}\b`)

// expectedErrno is the errno a line's comment says the call returns, or "".
func expectedErrno(comment string) string {
	return errnoWord.FindString(comment)
}

// vmstat reads /proc/vmstat at the end of the run.
func vmstat(t *testing.T, res *prog.Result) map[string]int64 {
	t.Helper()
	text, err := res.Machine.Proc("/proc/vmstat")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			t.Fatalf("/proc/vmstat: %q", line)
		}
		out[f[0]] = n
	}
	return out
}

// sum adds the per-zone counters named prefix+zone.
func sum(vm map[string]int64, prefixes ...string) int64 {
	var n int64
	for _, p := range prefixes {
		for _, z := range []string{"dma", "dma32", "normal", "movable"} {
			n += vm[p+z]
		}
	}
	return n
}

// calls lists the indexes of the calls task makes named name.
func calls(p *prog.Program, task, name string) []int {
	var out []int
	for i, c := range p.Calls {
		if c.Task == task && c.Name == name {
			out = append(out, i)
		}
	}
	return out
}

func TestList(t *testing.T) {
	list := List()
	want := []string{"compaction", "file-server", "fork-cow", "seed-writeback", "swap-thrash"}
	var names []string
	for _, e := range list {
		names = append(names, e.Name)
		if e.Description == "" || strings.HasPrefix(e.Description, "#") {
			t.Errorf("%s: description %q", e.Name, e.Description)
		}
		got, ok := Lookup(e.Name)
		if !ok || got.Name != e.Name || string(got.Source) != string(e.Source) {
			t.Errorf("Lookup(%q) = %v, %v", e.Name, got.Name, ok)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("List() is not sorted by name: %v", names)
	}
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("List() = %v, has no %s", names, w)
		}
	}
	if _, ok := Lookup("no-such-example"); ok {
		t.Errorf("Lookup of an unknown name succeeded")
	}
	e, _ := Lookup("fork-cow")
	if want := "Copy-on-write after fork: the parent writes 4M of anonymous memory and forks; parent and child each write one half, then read everything back. Every read is checked against what that process wrote."; e.Description != want {
		t.Errorf("fork-cow description:\n%s\nwant\n%s", e.Description, want)
	}
}

func TestDescription(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"# one\n#  two  words\n#\n# not this\nmem 64M\n", "one two words"},
		{"#\n# after a blank\nmem 64M\n", "after a blank"},
		{"mem 64M\n# not a leading comment\n", ""},
		{"# only\n", "only"},
	} {
		if got := description([]byte(tc.src)); got != tc.want {
			t.Errorf("description(%q) = %q, want %q", tc.src, got, tc.want)
		}
	}
}

// TestExamples runs every example with the generic checks; the examples
// with checks of their own are run by their own tests.
func TestExamples(t *testing.T) {
	special := map[string]bool{"file-server": true, "swap-thrash": true, "compaction": true, "fork-cow": true, "seed-writeback": true}
	for _, e := range List() {
		if special[e.Name] {
			continue
		}
		t.Run(e.Name, func(t *testing.T) { run(t, e, prog.Options{}) })
	}
}

func lookup(t *testing.T, name string) Example {
	t.Helper()
	e, ok := Lookup(name)
	if !ok {
		t.Fatalf("no example %q", name)
	}
	return e
}

// file-server: clean page cache is reclaimed, the stream's reads go to
// the disk, the hot index stays cached, and readahead reads pages nobody
// asked for.
func TestFileServer(t *testing.T) {
	var tr *mm.Tracer
	opts := prog.Options{Setup: func(m *kernel.Machine) {
		tr = mm.NewTracer([]string{"mm_filemap_add_to_page_cache"})
		m.MM.SetTracer(tr)
	}}
	p, res := run(t, lookup(t, "file-server"), opts)
	vm := vmstat(t, res)
	steal := sum(vm, "pgsteal_kswapd_", "pgsteal_direct_")
	if steal == 0 {
		t.Errorf("no page reclaimed (pgsteal)")
	}
	if vm["pgactivate"] < 2048 {
		t.Errorf("pgactivate %d: the 8M index was not activated", vm["pgactivate"])
	}
	// The stream's 16M reads wait for the disk: readahead's plug merges
	// the reads of a window into one request, so 4096 pages take at least
	// their transfer time, 8us a page (fs.XferNS).
	var streamNS []int64
	for _, i := range calls(p, "stream", "read") {
		if cr := res.Calls[i]; cr.Ret == 16<<20 {
			streamNS = append(streamNS, cr.End-cr.Start)
			if cr.End-cr.Start < 4096*fs.XferNS {
				t.Errorf("stream: %s took %dns: not from the disk", p.CallString(i), cr.End-cr.Start)
			}
		}
	}
	if len(streamNS) != 8 {
		t.Errorf("stream: %d full 16M reads, want 8", len(streamNS))
	}
	// The hot index never waits for the disk (2048 pages at 200us would
	// be 400ms).
	var hotNS []int64
	for _, i := range calls(p, "hot", "pread") {
		cr := res.Calls[i]
		hotNS = append(hotNS, cr.End-cr.Start)
		if cr.End-cr.Start > 20e6 {
			t.Errorf("hot: %s took %dns: the index was evicted", p.CallString(i), cr.End-cr.Start)
		}
	}
	// Readahead: the log reader brought in pages it never asked for.
	asked := map[uint64]bool{}
	for _, i := range calls(p, "logs", "pread") {
		c := p.Calls[i]
		n, pos := c.Args[1].Val, c.Args[2].Val
		for pg := pos >> 12; pg <= (pos+n-1)>>12; pg++ {
			asked[pg] = true
		}
	}
	added, ahead := 0, 0
	for _, line := range tr.Lines() {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "logs-") {
			continue
		}
		ofs, ok := strings.CutPrefix(f[len(f)-1], "ofs=")
		if !ok {
			t.Fatalf("trace line %q", line)
		}
		o, err := strconv.ParseUint(ofs, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		added++
		if !asked[o>>12] {
			ahead++
		}
	}
	if ahead == 0 {
		t.Errorf("the log reader added %d pages to the page cache, none beyond what it read: no readahead", added)
	}
	t.Logf("pgsteal %d, pgscan %d, pgactivate %d; stream read(16M) took %v ns; hot pread(8M) %v ns; log reader: %d pages added, %d by readahead",
		steal, sum(vm, "pgscan_kswapd_", "pgscan_direct_"), vm["pgactivate"], streamNS, hotNS, added, ahead)
}

// swap-thrash: the three 80M working sets go through swap, more than once.
func TestSwapThrash(t *testing.T) {
	_, res := run(t, lookup(t, "swap-thrash"), prog.Options{})
	vm := vmstat(t, res)
	const owned = 3 * 80 << 20 >> 12 // pages
	if vm["pswpout"] == 0 || vm["pswpin"] == 0 {
		t.Errorf("pswpout %d, pswpin %d: no swapping", vm["pswpout"], vm["pswpin"])
	}
	if vm["pswpin"] < owned {
		t.Errorf("pswpin %d: fewer pages swapped in than the %d the tasks own: no thrashing", vm["pswpin"], owned)
	}
	if vm["pgmajfault"] == 0 || vm["allocstall"] == 0 {
		t.Errorf("pgmajfault %d, allocstall %d", vm["pgmajfault"], vm["allocstall"])
	}
	t.Logf("pswpout %d, pswpin %d, pgmajfault %d, allocstall %d", vm["pswpout"], vm["pswpin"], vm["pgmajfault"], vm["allocstall"])
}

// compaction: the high-order allocations succeed (checked by run: no
// errno) and needed direct compaction.
func TestCompaction(t *testing.T) {
	p, res := run(t, lookup(t, "compaction"), prog.Options{})
	vm := vmstat(t, res)
	if vm["compact_stall"] == 0 || vm["compact_success"] == 0 {
		t.Errorf("compact_stall %d, compact_success %d: no direct compaction", vm["compact_stall"], vm["compact_success"])
	}
	if vm["compact_migrate_scanned"] == 0 || vm["pgmigrate_success"] == 0 {
		t.Errorf("compact_migrate_scanned %d, pgmigrate_success %d: nothing migrated", vm["compact_migrate_scanned"], vm["pgmigrate_success"])
	}
	orders := map[uint64]int{}
	for _, i := range calls(p, "drv", "alloc_pages") {
		if res.Calls[i].Errno == "" {
			orders[p.Calls[i].Args[0].Val]++
		}
	}
	for o := uint64(3); o <= 10; o++ {
		if orders[o] == 0 {
			t.Errorf("no order-%d allocation succeeded", o)
		}
	}
	t.Logf("compact_stall %d, compact_success %d, compact_fail %d, compact_migrate_scanned %d, compact_free_scanned %d, pgmigrate_success %d; allocations by order %v",
		vm["compact_stall"], vm["compact_success"], vm["compact_fail"], vm["compact_migrate_scanned"], vm["compact_free_scanned"], vm["pgmigrate_success"], orders)
}

// fork-cow: 1024 faults for the first touch, 512 copies in each process.
func TestForkCOW(t *testing.T) {
	_, res := run(t, lookup(t, "fork-cow"), prog.Options{})
	vm := vmstat(t, res)
	if vm["pgfault"] != 2048 {
		t.Errorf("pgfault %d, want 2048 (1024 + 2 * 512 copy-on-write faults)", vm["pgfault"])
	}
}

// seed-writeback: the founding case. On v3.16-rc1 (its header's kernel)
// direct reclaim's ->writepage WARNs on a dirty xfs page that compaction
// made PageSwapBacked, NR_SHMEM goes below zero, and the run fails; on the
// fixed kernels, and on v3.15, the same calls run clean. It is
// kernel.SeedWorkload("shmem", true) on SeedConfig("v3.16-rc1", nil,
// "xfs", true), written as a program with repeat loops.
func TestSeedWriteback(t *testing.T) {
	e := lookup(t, "seed-writeback")
	p, err := prog.Parse(e.Name+".prog", e.Source)
	if err != nil {
		t.Fatal(err)
	}
	if q, err := prog.Parse("printed", prog.Print(p)); err != nil || !prog.Equal(p, q) {
		t.Fatalf("the printed program does not parse back equal: %v", err)
	}
	// The machine is SeedConfig's.
	cfg := p.Config()
	want := kernel.SeedConfig("v3.16-rc1", nil, "xfs", true)
	if cfg.MemBytes != want.MemBytes || cfg.SwapBytes != want.SwapBytes || cfg.Kernel != want.Kernel || len(cfg.Patches) != 0 ||
		cfg.CPUs != want.CPUs || cfg.Nodes != want.Nodes || cfg.Seed != want.Seed || cfg.Policy != want.Policy ||
		!slices.Equal(cfg.Mounts, want.Mounts) {
		t.Errorf("config %+v, want %+v", cfg, want)
	}
	// The calls are SeedWorkload's: 4 + 2*128 + 1 + 3072 + 6.
	if got, want := len(p.Calls), 4+2*kernel.SeedPairs+1+3072+6; got != want {
		t.Errorf("%d calls, want %d", got, want)
	}
	if tasks := p.Tasks(); !slices.Equal(tasks, []string{"trinity-c61", "trinity-c62"}) {
		t.Errorf("tasks %v", tasks)
	}
	warn := regexp.MustCompile(`WARNING: CPU: \d+ PID: \d+ at fs/xfs/xfs_aops.c:971 xfs_vm_writepage\+`)
	res, err := prog.Run(p, prog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log := res.Machine.Log.String()
	if !warn.MatchString(log) || !strings.Contains(log, "shrink_page_list+") {
		t.Errorf("v3.16-rc1: no WARN from xfs_vm_writepage in direct reclaim:\n%s", log)
	}
	if len(res.Invariants) == 0 || !strings.Contains(strings.Join(res.Invariants, "\n"), "NR_SHMEM -") {
		t.Errorf("v3.16-rc1: invariants %q, want NR_SHMEM below zero", res.Invariants)
	}
	if !res.Failed() {
		t.Errorf("v3.16-rc1: the run did not fail")
	}
	for i, cr := range res.Calls {
		if !cr.Executed || cr.Errno != "" {
			t.Errorf("v3.16-rc1: %s: executed %v, errno %q", p.CallString(i), cr.Executed, cr.Errno)
		}
	}
	// The same behaviour as the Go workload: the same kernel log, the same
	// /proc/vmstat.
	m, err := kernel.Boot(want)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	kernel.NewSeedWorkload("shmem", true).Spawn(m)
	m.Run(0)
	if goLog := m.Log.String(); goLog != log {
		t.Errorf("the kernel logs of the program and of kernel.SeedWorkload differ:\n%s\n----\n%s", log, goLog)
	}
	progVM, _ := res.Machine.Proc("/proc/vmstat")
	goVM, _ := m.Proc("/proc/vmstat")
	if progVM != goVM {
		t.Errorf("/proc/vmstat after the program and after kernel.SeedWorkload differ")
	}
	for _, k := range []string{"v3.16", "v4.5", "v3.15"} {
		t.Run(k, func(t *testing.T) {
			_, res := run(t, e, prog.Options{Override: func(c *kernel.Config) { c.Kernel = k }})
			if log := res.Machine.Log.String(); strings.Contains(log, "WARNING") {
				t.Errorf("%s: WARN:\n%s", k, log)
			}
		})
	}
}
