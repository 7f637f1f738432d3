// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"pagesim/kernel"
	"pagesim/mm"
	"pagesim/prog"
)

// mustRun parses and runs a program, failing the test if it does not
// parse or run.
func mustRun(t *testing.T, name, src string, opts prog.Options) (*prog.Program, *prog.Result) {
	t.Helper()
	p, err := prog.Parse(name, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	res, err := prog.Run(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p, res
}

// smallCampaign is a short single-worker campaign: deterministic, since
// one worker with a seed draws the same programs in the same order.
func smallCampaign(workdir string, execs uint64) CampaignConfig {
	return CampaignConfig{Kernel: "v3.16", Workdir: workdir, Procs: 1, Seed: 7, MaxExecs: execs, Gen: FuzzConfig}
}

// TestCampaignCorpusAndResume checks that a campaign keeps programs that
// reach new coverage, writes each to the workdir's corpus, and that a
// campaign started again on that workdir loads and re-runs them.
func TestCampaignCorpusAndResume(t *testing.T) {
	dir := t.TempDir()
	st, err := RunCampaign(context.Background(), smallCampaign(dir, 60))
	if err != nil {
		t.Fatal(err)
	}
	if st.Execs < 60 || st.Corpus == 0 || st.Signal == 0 || st.Coverage == 0 {
		t.Fatalf("campaign: %s", st.StatusLine())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.prog"))
	if len(files) == 0 || len(files) > st.Corpus {
		t.Fatalf("%d corpus files for a corpus of %d", len(files), st.Corpus)
	}
	for _, f := range files {
		src, _ := os.ReadFile(f)
		if _, err := prog.Parse(f, src); err != nil {
			t.Fatalf("saved corpus program does not parse: %v", err)
		}
	}
	// A killed campaign's temporary is removed, not loaded.
	os.WriteFile(filepath.Join(dir, "corpus", ".tmp-123"), []byte("half a prog"), 0o644)
	st2, err := RunCampaign(context.Background(), smallCampaign(dir, uint64(len(files))+1))
	if err != nil {
		t.Fatal(err)
	}
	if st2.Resumed != len(files) || st2.Triaged == 0 || st2.Corpus < st2.Triaged {
		t.Errorf("resumed %d of %d files, %d kept, corpus %d", st2.Resumed, len(files), st2.Triaged, st2.Corpus)
	}
	if _, err := os.Stat(filepath.Join(dir, "corpus", ".tmp-123")); !os.IsNotExist(err) {
		t.Errorf("a stray temporary survived reopening the workdir")
	}
}

// TestCampaignDeterministic checks that one worker with one seed runs
// the same campaign twice.
func TestCampaignDeterministic(t *testing.T) {
	var corp [2][]string
	for i := range corp {
		dir := t.TempDir()
		if _, err := RunCampaign(context.Background(), smallCampaign(dir, 40)); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "corpus", "*.prog"))
		for _, f := range files {
			corp[i] = append(corp[i], filepath.Base(f))
		}
	}
	if strings.Join(corp[0], " ") != strings.Join(corp[1], " ") {
		t.Errorf("two runs of the same campaign kept different corpora:\n%v\n%v", corp[0], corp[1])
	}
}

// doubleFree is a driver bug the kernel reports (VM_BUG_ON_PAGE in
// put_page_testzero after the block went back and was reused), padded
// with calls that have nothing to do with it.
const doubleFree = `mem 128M
kernel v3.16

a: r0 = mmap(1M, rw)
a: touch(r0, 1M, write)
a: r1 = alloc_pages(0, GFP_KERNEL)
a: sleep(1ms)
a: free_pages(r1)
a: r2 = mmap(64K, rw)
a: touch(r2, 64K, write)
a: free_pages(r1)
a: munmap(r0, 1M)
`

// TestCampaignSavesMinimizedCrash checks what is kept of a crash: its
// title, the kernel log, the program that found it, and a minimized
// reproducer that still reports the same title when run.
func TestCampaignSavesMinimizedCrash(t *testing.T) {
	p, res := mustRun(t, "double-free.prog", doubleFree, prog.Options{})
	title, bad := Check(res)
	if !bad {
		t.Fatalf("the double free reports nothing:\n%s", res.Machine.Log.String())
	}
	dir := t.TempDir()
	cfg := smallCampaign(dir, 1)
	c := newCampaign(cfg)
	var err error
	c.wd, err = openWorkdir(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := c.crash(title, p, res)
	if len(info.Repro.Calls) >= len(p.Calls) {
		t.Errorf("reproducer not minimized: %d calls of %d", len(info.Repro.Calls), len(p.Calls))
	}
	for _, f := range []string{"title", "report", "prog.prog", "repro.prog"} {
		if _, err := os.Stat(filepath.Join(info.Dir, f)); err != nil {
			t.Errorf("crash file %s: %v", f, err)
		}
	}
	src, _ := os.ReadFile(filepath.Join(info.Dir, "repro.prog"))
	_, res = mustRun(t, "repro.prog", string(src), prog.Options{})
	if got, _ := Check(res); got != title {
		t.Errorf("reproducer reports %q, want %q\n%s", got, title, src)
	}
	if got := c.wd.crashTitles(); len(got) != 1 || got[0] != title {
		t.Errorf("saved titles %q, want [%q]", got, title)
	}
}

// TestSanitize checks that the driver-contract fixes take out the
// double free and the caller-bug GFP bits, and nothing else.
func TestSanitize(t *testing.T) {
	p, err := prog.Parse("p", []byte(`a: r0 = alloc_pages(12, GFP_KERNEL)
a: r1 = alloc_pages(3, GFP_KERNEL|__GFP_NOFAIL)
a: r2 = alloc_pages(0, GFP_KERNEL|__GFP_NOFAIL|__GFP_MOVABLE|__GFP_RECLAIMABLE)
a: free_pages(r2)
a: free_pages(r2)
a: free_pages(r0)
a: sysctl(vm.dirty_bytes, 8192)
a: sysctl(vm.dirty_ratio, 0)
a: sysctl(vm.dirty_bytes, 100)
a: sysctl(vm.min_free_kbytes, 1048576)
`))
	if err != nil {
		t.Fatal(err)
	}
	got := Sanitize(p).String()
	want := `a: r0 = alloc_pages(12, GFP_KERNEL|__GFP_NOWARN)
a: r1 = alloc_pages(3, GFP_KERNEL)
a: r2 = alloc_pages(0, GFP_KERNEL|__GFP_MOVABLE|__GFP_NOFAIL)
a: free_pages(r2)
a: free_pages(r0)
a: sysctl(vm.dirty_bytes, 1048576)
a: sysctl(vm.dirty_ratio, 5)
a: sysctl(vm.dirty_bytes, 100)
a: sysctl(vm.min_free_kbytes, 65536)
`
	if got != want {
		t.Errorf("Sanitize:\n%s\nwant:\n%s", got, want)
	}
	if err := prog.Validate(p); err != nil {
		t.Error(err)
	}
}

func TestCrashDirName(t *testing.T) {
	for in, want := range map[string]string{
		"WARNING in xfs_vm_writepage":           "WARNING_in_xfs_vm_writepage",
		"kernel BUG at include/linux/mm.h:321":  "kernel_BUG_at_include_linux_mm.h_321",
		".hidden":                               "_.hidden",
		"invariant: pfn N of file mapping N is": "invariant__pfn_N_of_file_mapping_N_is",
	} {
		if got := crashDirName(in); got != want {
			t.Errorf("crashDirName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCoverageSignal checks the coverage signal on a program that
// compacts memory: the decision points of the paths it takes are named
// in the coverage (compaction of a whole zone, isolation and migration of
// file pages), and the signal of a run is the same when it is run again.
func TestCoverageSignal(t *testing.T) {
	p, err := prog.Parse("p", []byte(`mem 128M
mount ext4 /mnt/e 64M

a: r0 = mmap(16M, rw)
a: touch(r0, 16M, write)
a: r1 = open(/mnt/e/f, create)
a: write(r1, 4M)
a: munmap(r0, 16M)
a: compact_memory()
`))
	if err != nil {
		t.Fatal(err)
	}
	var feats [2][]uint32
	for i := range feats {
		var cov *mm.Coverage
		if _, err := prog.Run(p, prog.Options{Setup: func(m *kernel.Machine) { cov = m.MM.EnableCoverage(true) }}); err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, n := range cov.Names {
			names[n] = true
		}
		for _, want := range []string{"compact_zone:whole_zone", "isolate_migratepages_range:isolate_success", "migrate_page_move_mapping", "move_to_new_page:success", "generic_perform_write"} {
			if !names[want] {
				t.Errorf("coverage lacks %s", want)
			}
		}
		feats[i] = Features(cov)
	}
	if len(feats[0]) == 0 || !slices.Equal(feats[0], feats[1]) {
		t.Errorf("signal differs between two runs of one program: %d vs %d features", len(feats[0]), len(feats[1]))
	}
	// The page-state signal adds entries to the same run, and is as
	// deterministic as the plain one.
	var state [2][]uint32
	for i := range state {
		var cov *mm.Coverage
		if _, err := prog.Run(p, prog.Options{Setup: func(m *kernel.Machine) { cov = m.MM.EnableCoverage(false); cov.PageState = true }}); err != nil {
			t.Fatal(err)
		}
		state[i] = Features(cov)
	}
	if len(state[0]) <= len(feats[0]) || !slices.Equal(state[0], state[1]) {
		t.Errorf("page-state signal: %d and %d features, against %d without it", len(state[0]), len(state[1]), len(feats[0]))
	}
}

// TestCampaignStatus checks the progress display: plain lines when the
// status goes to a file, a line redrawn in place (and erased at the end)
// on a terminal.
func TestCampaignStatus(t *testing.T) {
	for _, term := range []bool{false, true} {
		var buf strings.Builder
		cfg := smallCampaign("", 40)
		cfg.Status, cfg.Terminal, cfg.StatusEvery = &buf, term, time.Millisecond
		if _, err := RunCampaign(context.Background(), cfg); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, "fuzz: ") || !strings.Contains(out, " execs (") || !strings.Contains(out, "/s/core), corpus ") {
			t.Errorf("terminal %v: no status line in %q", term, out)
		}
		if term != strings.HasPrefix(out, "\r\033[K") || term != strings.HasSuffix(out, "\r\033[K") {
			t.Errorf("terminal %v: line not redrawn in place and erased: %q", term, out)
		}
		if !term && !strings.HasSuffix(out, "\n") {
			t.Errorf("plain status does not end its lines: %q", out)
		}
	}
}
