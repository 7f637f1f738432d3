package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeC is a kernel file of the fake tree; the line numbers in the model
// below refer to it.
const fakeC = `/* mm/fake.c */
static void a(struct page *page)
{
	VM_BUG_ON_PAGE(PageActive(page), page);          /* line 4 */
	if (WARN_ON_ONCE((current->flags & PF_MEMALLOC) ==
			PF_MEMALLOC))                     /* line 6: __LINE__ of the macro on 5 */
		return;
	/* BUG(); in a comment is no check: line 8 */
	if (x)
		BUG();                                   /* line 10 */
	s = "WARN_ON(1)";                                /* line 11 */
}
#define CHECK(x) BUG_ON(x)
`

// fakeGo is a model package citing mm/fake.c.
const fakeGo = `package fake

const srcFake = "mm/fake.c"

func f(s *S) {
	s.vmBugOnPage(true, 1, "PageActive(page)", "mm/fake.c", 4)   // match
	s.vmBugOnPage(true, 1, "PageLRU(page)", "mm/fake.c", 4)      // wrong condition
	s.warnOnOnce(true, srcFake, 6)                               // match: multi-line macro's __LINE__
	s.warnOnOnce(true, "mm/fake.c", 5)                           // the line the multi-line macro starts on
	s.bug("mm/fake.c", 10)                                       // match
	s.bug(srcFake, 8)                                            // a comment, no check
	s.warnOn(true, "mm/fake.c", 10)                              // BUG(), not a WARN
	s.bug("mm/fake.c", 11)                                       // inside a string
	s.bug("mm/fake.c", 13)                                       // inside a #define
	s.newReport("mm/fake.c", 4)                                  // unknown call form
	s.bug("mm/fake.c", line)                                     // line not a constant
	_ = site{"mm/fake.c", 4}                                     // not a call
	s.bug("mm/missing.c", 1)                                     // file not in the tree
	// model-only check: listed, not checked
	s.bug("mm/fake.c", 1)
}

// g cites mm/fake.c:6 (right) and mm/fake.c:7 (wrong) in a comment.
func g() string { return "at mm/fake.c:10" }

// SrcUnused is cited only by another package, which the checker cannot follow.
const SrcUnused = "mm/fake.c"
`

// otherGo cites through another package's constant.
const otherGo = `package other

func h(s *S) { s.bug(fake.SrcUnused, 4) }
`

func TestCheckCitations(t *testing.T) {
	dir := t.TempDir()
	tree, root := filepath.Join(dir, "linux"), filepath.Join(dir, "model")
	write(t, filepath.Join(tree, "mm/fake.c"), fakeC)
	write(t, filepath.Join(root, "fake/fake.go"), fakeGo)
	write(t, filepath.Join(root, "other/other.go"), otherGo)
	// Test files and testdata are not model sources.
	write(t, filepath.Join(root, "fake/fake_test.go"), "package fake\n\nvar _ = \"mm/fake.c:99\"\n")
	write(t, filepath.Join(root, "fake/testdata/x.go"), "package x\n\nvar _ = \"mm/fake.c:99\"\n")
	res, err := Run(root, tree)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(res.Problems, "\n")
	want := []string{
		`fake/fake.go:7: mm/fake.c:4: VM_BUG_ON_PAGE(PageActive(page)) here, not "PageLRU(page)"`,
		`fake/fake.go:9: mm/fake.c:5: no WARN_ON_ONCE/WARN_ONCE/VM_WARN_ON_ONCE/WARN_TAINT_ONCE ends on this line (WARN_ON_ONCE((current->flags & PF_MEMALLOC) == PF_MEMALLOC) spans 5-6: its __LINE__ is 6)`,
		`fake/fake.go:11: mm/fake.c:8: no BUG/BUG_ON/VM_BUG_ON ends on this line; nearest: BUG() at 10`,
		`fake/fake.go:12: mm/fake.c:10: BUG() here, not a WARN_ON/WARN/WARN_ON_SMP/VM_WARN_ON/WARN_TAINT`,
		`fake/fake.go:13: mm/fake.c:11: no BUG/BUG_ON`,
		`fake/fake.go:14: mm/fake.c:13: no BUG/BUG_ON`,
		`fake/fake.go:15: mm/fake.c: cannot classify the call newReport(...)`,
		`fake/fake.go:16: mm/fake.c: bug(...): the argument after the kernel path is not a constant line number`,
		`fake/fake.go:17: cannot classify the kernel path "mm/fake.c" here (not an argument of a call)`,
		`fake/fake.go:23: mm/fake.c:7: no BUG/WARN macro ends on this line`,
		`fake/fake.go:27: kernel path constant SrcUnused is cited by no call the checker understands`,
		`other/other.go:3: cannot follow SrcUnused, a kernel path constant of another package: cite with the path`,
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("missing problem %q", w)
		}
	}
	if len(res.Problems) != len(want) {
		t.Errorf("got %d problems, want %d:\n%s", len(res.Problems), len(want), got)
	}
	if len(res.Unchecked) != 1 || !strings.Contains(res.Unchecked[0], "mm/missing.c:1") {
		t.Errorf("unchecked = %q, want mm/missing.c:1", res.Unchecked)
	}
	if len(res.ModelOnly) != 1 || res.ModelOnly[0] != "fake/fake.go:20: mm/fake.c:1" {
		t.Errorf("model-only = %q, want fake/fake.go:20: mm/fake.c:1", res.ModelOnly)
	}
	// 10 calls (not the three rejected before the tree is read), 3 in text.
	if res.Checked != 13 {
		t.Errorf("checked %d citations, want 13", res.Checked)
	}
}

func TestFindChecks(t *testing.T) {
	cs := findChecks(fakeC)
	want := []check{
		{"VM_BUG_ON_PAGE", 4, 4, "PageActive(page)"},
		{"WARN_ON_ONCE", 5, 6, "(current->flags & PF_MEMALLOC) == PF_MEMALLOC"},
		{"BUG", 10, 10, ""},
	}
	if len(cs) != len(want) {
		t.Fatalf("findChecks = %+v, want %+v", cs, want)
	}
	for i := range want {
		if cs[i] != want[i] {
			t.Errorf("check %d = %+v, want %+v", i, cs[i], want[i])
		}
	}
}
