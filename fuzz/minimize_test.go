// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"math/rand"
	"strings"
	"testing"

	"pagesim/prog"
)

func TestMinimizeProperty(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	has := func(p *prog.Program) bool {
		for _, c := range p.Calls {
			if c.Name == "free_pages" {
				return true
			}
		}
		return false
	}
	found := 0
	for i := 0; i < 200 && found < 10; i++ {
		p := Generate(r, GenConfig{Calls: 40})
		if !has(p) {
			continue
		}
		found++
		before := p.String()
		m := Minimize(p, has)
		if p.String() != before {
			t.Fatal("Minimize changed its input")
		}
		checkRoundTrip(t, m, "minimized program")
		// free_pages and the alloc_pages it frees are all that is
		// needed, and the fork that passes the pages to a child.
		for _, c := range m.Calls {
			if c.Name != "alloc_pages" && c.Name != "free_pages" && c.Name != "fork" {
				t.Fatalf("minimized to\n%s\nfrom\n%s", m, p)
			}
		}
		if n := len(m.Calls); n < 2 || n > 4 || !has(m) {
			t.Fatalf("minimized to\n%s\nfrom\n%s", m, p)
		}
	}
	if found == 0 {
		t.Fatal("no generated program has free_pages")
	}
}

// TestMinimizeReproducer minimizes a real crash: a double free_pages with
// unrelated calls around it.
func TestMinimizeReproducer(t *testing.T) {
	p, err := prog.Parse("noisy", []byte(`mem 128M
mount tmpfs /mnt/tmp

a: r0 = mmap(1M, rw)
a: touch(r0, 1M, write)
b: r1 = alloc_pages(1, GFP_KERNEL)
a: r2 = open(/mnt/tmp/f, create)
a: write(r2, 64K)
b: sleep(1ms)
b: free_pages(r1)
a: touch(r0, 1M, read)
b: free_pages(r1)
a: close(r2)
`))
	if err != nil {
		t.Fatal(err)
	}
	title := func(p *prog.Program) string {
		res, err := prog.Run(p, prog.Options{})
		if err != nil {
			return ""
		}
		s, _ := Check(res)
		return s
	}
	want := title(p)
	if !strings.Contains(want, "BUG") {
		t.Fatalf("reproducer gives %q", want)
	}
	m := Minimize(p, func(q *prog.Program) bool { return title(q) == want })
	if len(m.Calls) != 3 {
		t.Fatalf("minimized to\n%s", m)
	}
	t.Logf("%s:\n%s", want, m)
}
