// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"strings"
	"testing"
)

// parseErrorCases are malformed programs and the first error each must
// give: "line:col: message" (a prefix of the message suffices).
var parseErrorCases = []struct {
	src  string
	want string
}{
	{"main: mmap(4M, rw", "1:18: missing ) at the end of mmap"},
	{"main: r0 = mmap(4Q, rw)", `1:17: mmap: len: bad size "4Q"`},
	{"main: mmapp(4M, rw)", `1:7: unknown call "mmapp"`},
	{"mem 1G\nmain: exit()\ncpus 2", "3:1: header directive cpus after the first call"},
	{"memory 1G", `1:1: unknown directive "memory"`},
	{"mmap(4M, rw)", `1:1: unknown directive "mmap"`},
	{"main: munmap(r0, 4K)", "1:14: undefined resource r0"},
	{"main: touch(r0, 4K, write)\nmain: r0 = mmap(4K, rw)", "1:13: undefined resource r0"},
	{"main: r0 = mmap(4K, rw)\nmain: r0 = mmap(4K, rw)", "2:7: r0 redefined"},
	{"main: x = mmap(4K, rw)", `1:7: bad result name "x"`},
	{"main: r0 = close(3)", "1:7: close returns no resource"},
	{"mem 1.5G", `1:6: unexpected "." in a number`},
	{"main: sleep(5)", `1:13: sleep: dur: bad duration "5"`},
	{"main: sleep(-5ms)", "1:13: sleep: dur: must not be negative"},
	{`main: open("/mnt/x)`, "1:12: malformed string"},
	{"main: mmap(4M, rw, shared=1)", "1:20: shared is given as a bare word"},
	{"main: mmap(4M, rw, foo=1)", "1:20: mmap has no option foo="},
	{"main: mmap(4M, rw, fd=3, fd=4)", "1:26: fd given twice"},
	{"main: mmap(4M)", "1:14: mmap: missing PROT"},
	{"main: exit() now", `1:14: unexpected "now" after the call`},
	{"main: pread(3, 4K, 1K, 5)", "1:24: too many arguments to pread"},
	{"main: madvise(0x1000, 4K, dontneeed)", `1:27: madvise: advice: unknown advice "dontneeed"`},
	{"main: alloc_pages(64, GFP_KERNEL)", "1:19: alloc_pages: order: 64 out of range 0..63"},
	{"main: alloc_pages(0, GFP_KERNAL)", `1:22: alloc_pages: gfp: unknown flag "GFP_KERNAL"`},
	{"main: touch(r0+, 4K, read)", "1:15: expected an offset after +"},
	{"main: touch(4K+, 4K, read)", "1:15: expected a number after +"},
	{"main: touch(4K*2 3, 4K, read)", `1:18: expected , or ) after an argument, got "3"`},
	{"main: mmap(4K, rw|2*1)", `1:20: expected , or ) after an argument, got "*"`},
	{"main: madvise(0x1000, 4K, 2*2)", "1:27: madvise: advice: expected a word, not arithmetic"},
	{"main: pwrite(3, 4K, 0, token=i)", `1:30: pwrite: token: bad number "i"`},
	{"main: pwrite(3, 4K, i*4K)", `1:21: pwrite: pos: undefined index "i"`},
	{"repeat 2 as i {\nmain: pwrite(3, 4K, j*4K)\n}", `2:21: pwrite: pos: undefined index "j"`},
	{"repeat 2 as i {\nmain: sleep(i-1)\n}", `2:13: undefined index "i-1"`},
	{"repeat 2 as i {\nmain: mmap(4K, rw)\nmain: sleep(5)\n}", `3:13: sleep: dur: bad duration "5"`},
	{"repeat 3 as i {\nmain: alloc_pages(i*32, GFP_KERNEL)\n}", "2:19: alloc_pages: order: i*32 = 64 out of range 0..63 (in the pass with i=2)"},
	{"repeat 3 as i {\nrepeat 2 as j {\nmain: sleep(1ms)\nmain: madvise(0x1000, 2K-i*1K-j*1K, dontneed)\n}\n}", "4:23: madvise: len: 2K-i*1K-j*1K = -1024 is negative (in the pass with i=2, j=1)"},
	{"repeat 3 {\nmain: alloc_pages(64, GFP_KERNEL)\n}", "2:19: alloc_pages: order: 64 out of range 0..63"},
	{"repeat x as i {\nmain: exit()\n}", `1:8: repeat: expected a count, got "x"`},
	{"repeat 1.5 as i {\nmain: exit()\n}", `1:9: unexpected "." in a number`},
	{"repeat -1 as i {\nmain: exit()\n}", `1:8: repeat: expected a count, got "-"`},
	{"repeat 0 as i {\nmain: exit()\n}", "1:8: repeat: count must be at least 1"},
	{"repeat 100001 {\nmain: exit()\n}", "1:8: repeat: count 100001 out of range 1..100000"},
	{"repeat 99999999999999999999 {\nmain: exit()\n}", "1:8: repeat: count 99999999999999999999 out of range"},
	{"repeat {\nmain: exit()\n}", "1:8: repeat: missing count"},
	{"repeat 2 as {\nmain: exit()\n}", "1:10: repeat: missing index name after as"},
	{"repeat 2 as r0 {\nmain: exit()\n}", "1:13: repeat: index r0 looks like a resource"},
	{"repeat 2 as a.b {\nmain: exit()\n}", `1:13: repeat: bad index name "a.b"`},
	{"repeat 2 as i\nmain: exit()\n}", "1:14: repeat: missing { at the end of the line"},
	{"repeat 2 as i { main: exit()\n}", `1:17: repeat: unexpected "main" after {`},
	{"repeat 2 times {\nmain: exit()\n}", `1:10: repeat: expected as NAME or {, got "times"`},
	{"repeat 2 as i {\nmain: exit()\n} x", `3:3: unexpected "x" after }`},
	{"repeat 2 as i {\nmain: sleep(1ms)", "1:1: repeat without a closing }"},
	{"main: exit()\n}", "2:1: } without a repeat"},
	{"repeat 2 as i {\n# nothing\n}", "1:1: repeat with no calls in its body"},
	{"repeat 2 as i {\nmem 1G\n}", "2:1: header directive mem inside a repeat body"},
	{"repeat 2 as i {\nmain: r0 = mmap(4K, rw)\nmain: munmap(r0, 4K)\n}", "2:7: r0 defined inside a repeat body"},
	{"repeat 2 as i {\nrepeat 2 as i {\nmain: exit()\n}\n}", "2:13: repeat: index i is already the index of the repeat at line 1"},
	{"repeat 100000 {\nmain: sleep(1ms)\n}\nrepeat 2 {\nmain: sleep(1ms)\n}", "4:8: repeat expands to 2 calls; with the 100000 before it the program would have 100002, over the limit of 100000 (MaxCalls)"},
	{"repeat 1000 {\nrepeat 1000 {\nmain: sleep(1ms)\n}\n}", "1:8: repeat expands to 1000000 calls, over the limit of 100000 (MaxCalls)"},
	{"repeat 100000 {\nrepeat 100000 {\nrepeat 100000 {\nmain: sleep(1ms)\n}\n}\n}", "1:8: repeat expands to more than 10000000000 calls, over the limit of 100000 (MaxCalls)"},
	{"main: close(r1+4K)", "1:13: close: fd: expected a resource"},
	{"main: open(42)", "1:12: open: path: expected a path"},
	{"main: touch(0x1000, 4K, poke)", `1:25: touch: op: unknown op "poke"`},
	{"main; exit()", `1:5: unexpected ";"`},
	{"main: exit(,)", "1:12: missing argument"},
	{"main:", "1:6: missing call"},
	{"main: 42()", `1:7: expected a call, got "42"`},
	{"main: exit", "1:11: expected ( after exit"},
	{"mount ext4", "1:1: mount: missing a mount point"},
	{"mount ext4 /mnt/e 1G speed=3", `1:22: mount: unexpected "speed"`},
	{"mount ext4 /mnt/e 1G latency=3", `1:30: mount: bad latency "3"`},
	{"mem 1G\nmem 2G", "2:1: mem given twice (first at line 1)"},
	{"nodes 0", "1:1: nodes must not be 0"},
	{"kernel v3.16 +", "1:14: kernel: + without a patch id"},
	{"kernel v3.16 + 8bdd63809160", "1:14: kernel: + without a patch id"},
	{"sched fifo", `1:7: sched: unknown policy "fifo"`},
	{"sysctl vm.swappiness 60", "1:8: sysctl: expected = after vm.swappiness"},
	{"seed -1", `1:6: seed: expected a number, got "-"`},
	{"swap 1X", `1:6: swap: bad size "1X"`},
	{"main: sysctl(\"vm.swappiness\", 1)", "1:14: sysctl: name: expected a sysctl name"},
	{"main: fork(\"child\")", "1:12: fork: task: expected a task name"},
	{"main: drop_caches(99999999999)", "1:19: drop_caches: mode: 99999999999 out of range"},
	{"main: pwrite(3, 4K, 0, token=-1)", "1:30: pwrite: token: -1 out of range"},
	{"main: close(r0)\nmain: r0 = mmap(0x, rw)", "1:13: undefined resource r0"},
	{"main: free_pages(3)", "1:18: free_pages: pages: expected rN"},
}

func TestParseErrors(t *testing.T) {
	for _, tc := range parseErrorCases {
		_, err := Parse("t.prog", []byte(tc.src))
		if err == nil {
			t.Errorf("%q: parsed, want error %q", tc.src, tc.want)
			continue
		}
		list, ok := err.(ErrorList)
		if !ok || len(list) == 0 {
			t.Errorf("%q: error %T %v, want an ErrorList", tc.src, err, err)
			continue
		}
		first := list[0]
		got := first.Pos.String() + ": " + first.Msg
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.src, got, tc.want)
		}
		if !strings.HasPrefix(first.Error(), "t.prog:"+first.Pos.String()+": ") {
			t.Errorf("%q: error text %q does not start with file:line:col", tc.src, first.Error())
		}
	}
}

// TestParseErrorHints checks that errors carry a hint saying what to write.
func TestParseErrorHints(t *testing.T) {
	cases := []struct{ src, hint string }{
		{"main: mmapp(4M, rw)", "did you mean mmap?"},
		{"main: mumnap(r0, 4K)", "did you mean munmap?"},
		{"mmap(4M, rw)", "a call needs the task that makes it: main: mmap(...)"},
		{"main: touch(r0, 4K, write)\nmain: r0 = mmap(4K, rw)", "r0 is defined on a later line"},
		{"main: r0 = mmap(4Q, rw)", "K, M, G or T suffix"},
		{"main: mmap(4M, rw, foo=1)", "mmap(LEN, PROT[, shared][, fd=FD][, off=OFF])"},
		{"main: madvise(0x1000, 4K, dontneeed)", "one of normal, random"},
		{"sysctl vm.drop_caches=3", "use the call drop_caches(N)"},
	}
	for _, tc := range cases {
		_, err := Parse("t.prog", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), "hint: ") || !strings.Contains(err.Error(), tc.hint) {
			t.Errorf("%q: error %v, want a hint containing %q", tc.src, err, tc.hint)
		}
	}
}

// TestParseErrorsAll checks that one Parse reports every bad line, in
// order.
func TestParseErrorsAll(t *testing.T) {
	src := "mem 1G\nmain: mmap(4Q, rw)\nmain: exit()\nmain: frob()\nmem 2G\n"
	_, err := Parse("t.prog", []byte(src))
	list, _ := err.(ErrorList)
	var lines []int
	for _, e := range list {
		lines = append(lines, e.Pos.Line)
	}
	if len(lines) != 3 || lines[0] != 2 || lines[1] != 4 || lines[2] != 5 {
		t.Errorf("errors on lines %v, want [2 4 5]:\n%v", lines, err)
	}
}

// validateCases are programs that parse but are not valid.
var validateCases = []struct {
	src  string
	want string
}{
	{"child: exit()\nmain: fork(child)", "1:1: task child used before fork(child) at line 2 creates it"},
	{"main: r0 = open(\"/x\", create)\nmain: munmap(r0, 4K)", "2:14: munmap: addr: r0 is a file descriptor (from open) (line 1), want an address (from mmap)"},
	{"main: r0 = mmap(4K, rw)\nmain: free_pages(r0)", "2:18: free_pages: pages: r0 is an address"},
	{"main: r0 = mmap(4K, rw)\nmain: close(r0)", "2:13: close: fd: r0 is an address"},
	{"a: r0 = mmap(4K, rw)\nb: touch(r0, 4K, read)", "2:10: touch: addr: r0 (defined on task a at line 1) is not visible on task b"},
	{"main: fork(c)\nmain: r0 = mmap(4K, rw)\nc: touch(r0, 4K, read)", "3:10: touch: addr: r0 (defined on task main at line 2) is not visible on task c"},
	{"main: exit()\nmain: sleep(1ms)", "2:1: main: call after exit() at 1:1"},
	{"main: fork(c)\nmain: fork(c)", "2:12: fork(c): task c already exists"},
	{"repeat 3 {\nmain: fork(c)\n}", "2:12: fork(c): task c already exists"},
	{"main: fork(main)", "1:12: main forks itself"},
	{"main: fork(other)\nother: exit()\nmain: fork(main2)\nmain2: fork(other)", "4:13: fork(other): task other already exists"},
	{"main: mmap(4K, rw, shared)", "1:1: shared anonymous mappings are not modeled"},
	{"averyveryverylongname: exit()", `1:1: task name "averyveryverylongname" longer than 15 characters`},
	{"r1: exit()", `1:1: task name "r1" looks like a resource`},
	{"a.b: exit()", `1:1: task name "a.b" has "."`},
	{"main: fork(x.y)", `1:12: task name "x.y" has "."`},
	{"main: sysctl(vm.foo, 1)", `1:14: sysctl: name: unknown sysctl "vm.foo"`},
	{"main: alloc_pages(0, 0x2000000)", "1:22: alloc_pages: gfp: GFP bits 0x2000000 beyond __GFP_BITS_SHIFT"},
	{"mem 32M", "1:1: mem 32M out of range"},
	{"mem 2T", "1:1: mem 2T out of range"},
	{"nodes 4\ncpus 2", "2:1: 2 CPUs for 4 nodes"},
	{"mem 256M\nnodes 4\ncpus 4", "2:1: mem 256M is too small for 4 nodes"},
	{"mem 256M\nmovablecore 256M", "2:1: movablecore 256M not below mem 256M"},
	{"kernel v9.9", `1:1: unknown kernel "v9.9"`},
	{"kernel v3.16 +nope", `1:1: unknown patch "nope"`},
	{"mount btrfs /mnt/b 1G", `1:1: mount /mnt/b: unknown filesystem type "btrfs"`},
	{"mount ext4 /mnt/e", "1:1: mount /mnt/e: ext4 needs a disk size"},
	{"mount tmpfs /", `1:1: bad mount point "/"`},
	{"mount tmpfs /a\nmount tmpfs /a", "2:1: /a mounted twice"},
	{"sysctl vm.swappiness=200", "1:1: sysctl vm.swappiness=200 out of range"},
	{"sysctl vm.drop_caches=3", `1:1: unknown sysctl "vm.drop_caches"`},
	{"sysctl vm.swappiness=1\nsysctl vm.swappiness=2", "2:1: sysctl vm.swappiness set twice"},
	{"swap 4K", "1:1: swap 4K out of range"},
}

func TestValidateErrors(t *testing.T) {
	for _, tc := range validateCases {
		_, err := Parse("t.prog", []byte(tc.src))
		if err == nil {
			t.Errorf("%q: valid, want error %q", tc.src, tc.want)
			continue
		}
		first := err.(ErrorList)[0]
		got := first.Pos.String() + ": " + first.Msg
		if !strings.HasPrefix(got, tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.src, got, tc.want)
		}
	}
}

// TestValidateBuilt checks programs built in Go, without positions: the
// errors name the call.
func TestValidateBuilt(t *testing.T) {
	p := &Program{Calls: []*Call{
		{Task: "main", Name: "munmap", Args: []Arg{Ref(0, 0), Num(4096)}},
		{Task: "main", Name: "close"},
		{Task: "main", Def: true, Name: "munmap", Args: []Arg{Num(0), Num(0)}},
		{Task: "main", Name: "frob"},
	}}
	err := Validate(p)
	want := []string{
		"program: call 0: munmap: addr: undefined resource r0",
		"program: call 1: close has 0 arguments, want 1",
		"program: call 2: munmap returns no resource",
		`program: call 3: unknown call "frob"`,
	}
	list, _ := err.(ErrorList)
	if len(list) != len(want) {
		t.Fatalf("errors:\n%v\nwant %d", err, len(want))
	}
	for i, e := range list {
		if got := strings.SplitN(e.Error(), "\n", 2)[0]; got != want[i] {
			t.Errorf("error %d: %q, want %q", i, got, want[i])
		}
	}
	if _, err := Run(p, Options{}); err == nil {
		t.Error("Run ran an invalid program")
	}
	ok := &Program{Calls: []*Call{
		{Task: "main", Def: true, Name: "mmap", Args: []Arg{Num(8192), Num(protRW), Num(0), Num(negOne), Num(0)}},
		{Task: "main", Name: "touch", Args: []Arg{Ref(0, 4096), Num(4096), Num(1), Num(0), Num(0)}},
	}}
	if err := Validate(ok); err != nil {
		t.Fatal(err)
	}
	if got, want := ok.String(), "main: r0 = mmap(8K, rw)\nmain: touch(r0+4K, 4K, write)\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
}
