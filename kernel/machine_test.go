// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"pagesim/mm"
	"pagesim/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// runExample boots an example's machine (with cfg edits), runs its workload
// with every tracepoint on, and returns the log, every /proc file and the
// trace, concatenated.
func runExample(t *testing.T, name string, edit func(*Config)) (string, *Machine) {
	t.Helper()
	ex, err := LookupExample(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := ex.Config
	if edit != nil {
		edit(&cfg)
	}
	m, err := Boot(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	tr := mm.NewTracer(nil)
	m.MM.SetTracer(tr)
	if ex.Workload != nil {
		ex.Workload(m)
	}
	res := m.Run(0)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	var b strings.Builder
	b.WriteString(m.Log.String())
	for _, p := range mm.ProcFiles {
		text, err := m.Proc(p)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("==> " + p + " <==\n" + text)
	}
	b.WriteString("==> trace <==\n" + strings.Join(tr.Lines(), "\n") + "\n")
	return b.String(), m
}

// TestProcGolden compares each /proc file, after boot and after the
// fragment example, with testdata/*.golden (go test ./kernel -update
// rewrites them). The formats are v3.16's (docs/proc-formats-v3.16.md);
// the values follow from the model, and the zone sizes and watermarks in
// them are checked against the kernel's formulas in mm's tests.
func TestProcGolden(t *testing.T) {
	for _, name := range []string{"boot", "fragment"} {
		ex, _ := LookupExample(name)
		m, err := Boot(ex.Config)
		if err != nil {
			t.Fatal(err)
		}
		if ex.Workload != nil {
			ex.Workload(m)
		}
		if res := m.Run(0); res.Failed() {
			t.Fatalf("%s: %+v", name, res)
		}
		if errs := m.MM.CheckInvariants(); len(errs) > 0 {
			t.Fatalf("%s: %v", name, errs)
		}
		for _, p := range mm.ProcFiles {
			text, err := m.Proc(p)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", name+"-"+filepath.Base(p)+".golden")
			checkGolden(t, golden, text)
		}
		checkGolden(t, filepath.Join("testdata", name+"-dmesg.golden"), m.Log.String())
		m.Close()
	}
}

func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./kernel -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the model's output:\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + a + "\n  got:  " + b
		}
	}
	return "(same lines, different length)"
}

// TestDeterminism: the same program, kernel and seed give byte-identical
// output (log, every /proc file, every tracepoint), whatever GOMAXPROCS is.
// With the random scheduler a different seed may change the interleaving of
// the two driver tasks, hence which task gets which page and the order of
// trace events; it may not change what the workload does in total: the
// same number of pages allocated and freed.
func TestDeterminism(t *testing.T) {
	random := func(seed uint64) func(*Config) {
		return func(c *Config) { c.Policy = sim.Random; c.Seed = seed }
	}
	a, ma := runExample(t, "fragment", random(7))
	prev := runtime.GOMAXPROCS(1)
	b, _ := runExample(t, "fragment", random(7))
	runtime.GOMAXPROCS(8)
	c, _ := runExample(t, "fragment", random(7))
	runtime.GOMAXPROCS(prev)
	if a != b || a != c {
		t.Fatalf("same seed, different output:\n%s", firstDiff(a, b+c))
	}
	d, md := runExample(t, "fragment", random(8))
	if a == d {
		t.Errorf("seeds 7 and 8 gave identical traces; the random scheduler should have interleaved differently")
	}
	sum := func(m *Machine) [2]uint64 {
		return [2]uint64{m.MM.VMEvent(mm.PGALLOC_DMA) + m.MM.VMEvent(mm.PGALLOC_DMA32), m.MM.VMEvent(mm.PGFREE)}
	}
	if sum(ma)[0] == 0 {
		t.Fatal("the workload allocated nothing")
	}
	if sum(ma) != sum(md) {
		t.Errorf("seeds 7 and 8: pages allocated/freed %v vs %v; a seed may reorder the work, not change it", sum(ma), sum(md))
	}
}

// TestDoubleFreeOops: freeing a page whose _count is already 0 hits
// VM_BUG_ON_PAGE in put_page_testzero (include/linux/mm.h:321 in v3.16,
// CONFIG_DEBUG_VM), which dumps the page and BUGs; the machine stops.
func TestDoubleFreeOops(t *testing.T) {
	ex, _ := LookupExample("double-free")
	m, err := Boot(ex.Config)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ex.Workload(m)
	res := m.Run(0)
	if res.Oops == nil {
		t.Fatalf("expected a BUG, got %+v", res)
	}
	log := m.Log.String()
	for _, want := range []string{
		"page dumped because: VM_BUG_ON_PAGE(atomic_read(&page->_count) == 0)",
		"kernel BUG at include/linux/mm.h:321!",
		"Comm: buggy-driver",
		"] __free_pages+0x",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

// TestDeterminismProcesses: the process examples (fork, COW, files on ext4
// and xfs, fsync, the flusher) give byte-identical logs, /proc files and
// traces for the same seed under the random scheduler, whatever
// GOMAXPROCS is.
func TestDeterminismProcesses(t *testing.T) {
	for _, name := range []string{"fork-cow", "writeback"} {
		edit := func(c *Config) { c.Policy = sim.Random; c.Seed = 42 }
		a, _ := runExample(t, name, edit)
		prev := runtime.GOMAXPROCS(1)
		b, _ := runExample(t, name, edit)
		runtime.GOMAXPROCS(prev)
		if a != b {
			t.Fatalf("%s: same seed, different output:\n%s", name, firstDiff(a, b))
		}
		if !strings.Contains(a, "mm_page_alloc") {
			t.Fatalf("%s: the trace recorded nothing", name)
		}
	}
}
