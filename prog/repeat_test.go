// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"strings"
	"testing"
)

// repeatCases are programs with loops and arithmetic and their printed
// (flat) text; FuzzParse starts from them too.
var repeatCases = []struct{ name, src, want string }{
	{"pairs", `mem 128M
mount xfs /mnt/data 1G
mount tmpfs /dev/shm 64M

main: r0 = open(/mnt/data/file, create)
main: r1 = open(/dev/shm/seg, create)
repeat 3 as i {
main: pwrite(r0, 4K, i*4K, token=2)
main: pwrite(r1, 4K, i*4K, token=1)
}
main: close(r0)
`, `mem 128M
mount xfs /mnt/data 1G
mount tmpfs /dev/shm 64M

main: r0 = open(/mnt/data/file, create)
main: r1 = open(/dev/shm/seg, create)
main: pwrite(r0, 4K, 0, token=2)
main: pwrite(r1, 4K, 0, token=1)
main: pwrite(r0, 4K, 4K, token=2)
main: pwrite(r1, 4K, 4K, token=1)
main: pwrite(r0, 4K, 8K, token=2)
main: pwrite(r1, 4K, 8K, token=1)
main: close(r0)
`},
	{"address arithmetic and precedence", `main: r0 = mmap(1M, rw)
repeat 3 as i {
main: madvise(r0 + i*16K + 4K, 12K, dontneed)
main: touch(r0+2*i*i+1, 1, write, token=i+1*2)
}
`, `main: r0 = mmap(1M, rw)
main: madvise(r0+4K, 12K, dontneed)
main: touch(r0+1, 1, write, token=2)
main: madvise(r0+20K, 12K, dontneed)
main: touch(r0+3, 1, write, token=3)
main: madvise(r0+36K, 12K, dontneed)
main: touch(r0+9, 1, write, token=4)
`},
	{"nested, without an index, minus and durations", `repeat 2 as i {
repeat 2 {
repeat 2 as j {
a: pwrite(3, 4K, i*8K - j*4K, token = 10 - i - j)
}
}
a: sleep(i*10ms + 1us)
}
`, `a: pwrite(3, 4K, 0, token=10)
a: pwrite(3, 4K, -4K, token=9)
a: pwrite(3, 4K, 0, token=10)
a: pwrite(3, 4K, -4K, token=9)
a: sleep(1us)
a: pwrite(3, 4K, 8K, token=9)
a: pwrite(3, 4K, 4K, token=8)
a: pwrite(3, 4K, 8K, token=9)
a: pwrite(3, 4K, 4K, token=8)
a: sleep(10001us)
`},
	{"constant arithmetic outside a loop; a lone index; -i", `main: r0 = mmap(4K+4K, rw)
main: touch(4K*2, 1, read)
repeat 2 as k {
main: close(k)
main: pwrite(3, 4K, -k)
}
`, `main: r0 = mmap(8K, rw)
main: touch(0x2000, 1, read)
main: close(0)
main: pwrite(3, 4K, 0)
main: close(1)
main: pwrite(3, 4K, -1)
`},
	{"an index named like a word stays that word where a word is wanted", `main: r0 = mmap(8K, rw)
repeat 2 as write {
main: touch(r0+write*4K, 4K, write)
}
`, `main: r0 = mmap(8K, rw)
main: touch(r0, 4K, write)
main: touch(r0+4K, 4K, write)
`},
	{"comments go with the first pass", `# program
mem 128M

# above the loop
repeat 3 as i {  # on the repeat line
# above the body's call
main: sleep(i*1ms)  # at its end
# at the end of the body
}  # on the closing line
main: exit()
`, `# program
mem 128M

# above the loop
# on the repeat line
# above the body's call
main: sleep(0)  # at its end
main: sleep(1ms)
main: sleep(2ms)
# at the end of the body
# on the closing line
main: exit()
`},
}

// TestRepeatExpand: a repeat block is expanded at parse time into
// ordinary calls, one copy of its body per pass with the index bound;
// Print writes the flat expansion, which parses back to an equal program.
func TestRepeatExpand(t *testing.T) {
	for _, tc := range repeatCases {
		p, err := Parse("t.prog", []byte(tc.src))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := p.String(); got != tc.want {
			t.Errorf("%s: printed\n%s\nwant\n%s", tc.name, got, tc.want)
		}
		flat := mustParse(t, tc.want)
		if !Equal(p, flat) {
			t.Errorf("%s: the loop and its flat text parse to different programs", tc.name)
		}
		if q := mustParse(t, p.String()); !Equal(p, q) || q.String() != p.String() {
			t.Errorf("%s: round trip changed the program", tc.name)
		}
		if err := Validate(p); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestRepeatPositions: every expanded call, and every argument, keeps the
// position of its body line.
func TestRepeatPositions(t *testing.T) {
	p := mustParse(t, "main: r0 = mmap(1M, rw)\nrepeat 4 as i {\n  main: touch(r0+i*4K, 4K, write)\n\nmain: sleep(1ms)\n}\nmain: exit()\n")
	if len(p.Calls) != 10 {
		t.Fatalf("%d calls, want 10", len(p.Calls))
	}
	for i := 1; i <= 8; i += 2 {
		if c := p.Calls[i]; c.Pos != (Pos{3, 3}) || c.Args[0].Pos != (Pos{3, 15}) {
			t.Errorf("call %d at %v, arg at %v: want 3:3 and 3:15", i, c.Pos, c.Args[0].Pos)
		}
		if c := p.Calls[i+1]; c.Pos != (Pos{5, 1}) {
			t.Errorf("call %d at %v, want 5:1", i+1, c.Pos)
		}
	}
	if c := p.Calls[9]; c.Pos != (Pos{7, 1}) || c.Name != "exit" {
		t.Errorf("last call %s at %v", c.Name, c.Pos)
	}
}

// TestRepeatErrorsOnce: an error in a body is reported once, at the body
// line, and names the pass only when it is not the first.
func TestRepeatErrorsOnce(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"repeat 5 {\nmain: mmap(4Q, rw)\nmain: frob()\n}\n", []string{
			`t.prog:2:12: mmap: len: bad size "4Q"`, `t.prog:3:7: unknown call "frob"`}},
		{"repeat 5 as i {\nmain: fork(c)\nc: exit()\n}\n", []string{
			"t.prog:2:12: fork(c): task c already exists", "t.prog:3:1: c: call after exit() at 3:1"}},
		{"repeat 4 as i {\nmain: alloc_pages(i*30, 0)\n}\nmain: frob()\n", []string{
			"t.prog:2:19: alloc_pages: order: i*30 = 90 out of range 0..63 (in the pass with i=3)", `t.prog:4:7: unknown call "frob"`}},
	}
	body := strings.Repeat("main: frob()\n", 30)
	_, err := Parse("t.prog", []byte("repeat 2 {\n"+body+"}\n"))
	if list, _ := err.(ErrorList); len(list) != maxErrors {
		t.Errorf("30 bad lines in a body: %d errors, want %d", len(list), maxErrors)
	}
	for _, tc := range cases {
		_, err := Parse("t.prog", []byte(tc.src))
		list, _ := err.(ErrorList)
		var got []string
		for _, e := range list {
			got = append(got, strings.SplitN(e.Error(), "\n", 2)[0])
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%q:\n got %q\nwant %q", tc.src, got, tc.want)
		}
	}
}

// TestRepeatMaxCalls: a loop may expand to exactly MaxCalls calls; one
// call more is refused at the repeat's count, before anything is
// expanded.
func TestRepeatMaxCalls(t *testing.T) {
	p := mustParse(t, fmt.Sprintf("repeat %d as i {\na: sleep(i*1ns)\n}\n", MaxCalls))
	if len(p.Calls) != MaxCalls {
		t.Errorf("%d calls, want %d", len(p.Calls), MaxCalls)
	}
	_, err := Parse("t.prog", []byte(fmt.Sprintf("a: sleep(1ms)\nrepeat %d {\na: sleep(1ms)\n}\n", MaxCalls)))
	want := fmt.Sprintf("t.prog:2:8: repeat expands to %d calls; with the 1 before it the program would have %d, over the limit of %d (MaxCalls)", MaxCalls, MaxCalls+1, MaxCalls)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("one call too many: %v\nwant %s", err, want)
	}
	_, err = Parse("t.prog", []byte(fmt.Sprintf("repeat %d {\na: sleep(1ms)\n}\na: sleep(1ms)\n", MaxCalls)))
	want = fmt.Sprintf("t.prog:4:1: a program has at most %d calls", MaxCalls)
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("one call after the loop: %v\nwant %s", err, want)
	}
}
