// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"strings"
	"testing"

	"pagesim/klog"
	"pagesim/prog"
)

func TestReportTitle(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"WARNING: CPU: 1 PID: 42 at mm/migrate.c:1000 unmap_and_move+0x1c/0x2a0()", "WARNING in unmap_and_move"},
		{"BUG: Bad page state in process kswapd0  pfn:01234", "BUG: Bad page state"},
		{"kernel BUG at mm/page_alloc.c:123!", "kernel BUG at mm/page_alloc.c:123"},
		{"Kernel panic - not syncing: Out of memory and no killable processes...", "Kernel panic - not syncing: Out of memory and no killable processes..."},
		{"Kernel panic - not syncing: swap 3 gone", "Kernel panic - not syncing: swap N gone"},
		{"INFO: task t0:3 blocked for more than 120 seconds.", "INFO: task hung"},
		{"Out of memory: Kill process 3 (t0) score 900 or sacrifice child", ""},
	} {
		if got := reportTitle(tc.line); got != tc.want {
			t.Errorf("reportTitle(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestCheckHandcrafted(t *testing.T) {
	if title, bad := Check(&prog.Result{}); bad {
		t.Errorf("empty result: %q", title)
	}
	if title, _ := Check(&prog.Result{Invariants: []string{"zone Normal: nr_free 12 != 13 counted"}}); title != "invariant: zone ZONE: nr_free N != N counted" {
		t.Errorf("invariant title %q", title)
	}
	for _, inv := range []string{"DMA NR_SHMEM -1 but page caches hold 0 swap-backed pages", "DMA32 NR_SHMEM 3 but page caches hold 1 swap-backed pages"} {
		if title, _ := Check(&prog.Result{Invariants: []string{inv}}); title != "invariant: ZONE NR_SHMEM N but page caches hold N swap-backed pages" {
			t.Errorf("invariant %q: title %q, want one title whatever the sign", inv, title)
		}
	}
	for _, inv := range []string{"DMA NR_MLOCK 1 but 0 pages have PG_mlocked", "DMA32 NR_MLOCK 3 but 1 pages have PG_mlocked"} {
		if title, _ := Check(&prog.Result{Invariants: []string{inv}}); title != "invariant: ZONE NR_MLOCK N but N pages have PG_mlocked" {
			t.Errorf("invariant %q: title %q, want one title for every zone", inv, title)
		}
	}
	if title, _ := Check(&prog.Result{DataIntegrityErrors: 2}); title != "data integrity" {
		t.Errorf("data integrity title %q", title)
	}
	if title, _ := Check(nil); title != "pagesim error" {
		t.Errorf("nil result title %q", title)
	}
}

// TestCheckDoubleFree runs a driver that frees its pages twice: the
// model's __free_pages hits a BUG, and Check names it.
func TestCheckDoubleFree(t *testing.T) {
	_, res := mustRun(t, "double-free", "mem 128M\n\ndrv: r0 = alloc_pages(0, GFP_KERNEL)\ndrv: free_pages(r0)\ndrv: free_pages(r0)\n", prog.Options{})
	title, bad := Check(res)
	if !bad || !(strings.HasPrefix(title, "kernel BUG at ") || strings.HasPrefix(title, "BUG: Bad page state")) {
		t.Fatalf("double free_pages: Check = %q, %v\n%s", title, bad, res.Machine.Log)
	}
	t.Logf("double free_pages: %s", title)
}

// v3.16 mm/oom_kill.c out_of_memory panics when no process may be killed;
// when the program set every process's oom_score_adj to
// OOM_SCORE_ADJ_MIN that is the kernel doing as told, not a bug; with a
// killable process in the table, or none at all, it is a report.
func TestCheckOOMPanicAllProtected(t *testing.T) {
	run := func(src string) (string, bool) {
		t.Helper()
		_, res := mustRun(t, "t.prog", src, prog.Options{})
		if res.Kernel.Oops == nil || !strings.Contains(res.Kernel.Oops.Error(), "no killable processes") {
			t.Fatalf("the program did not end in the OOM panic: %+v", res.Kernel)
		}
		return Check(res)
	}
	const head = "mem 64M\ncpus 1\n"
	if title, bad := run(head + "t0: oom_score_adj(-1000)\nt0: r0 = mmap(80M, rw)\nt0: touch(r0, 80M, write)\n"); bad {
		t.Errorf("every process at -1000: reported %q", title)
	}
	// The task tables allUnkillable reads.
	rec := func(lines ...string) []klog.Record {
		var out []klog.Record
		for _, l := range lines {
			out = append(out, klog.Record{Text: l})
		}
		return out
	}
	const hdr = "[ pid ]   uid  tgid total_vm      rss nr_ptes swapents oom_score_adj name"
	for _, c := range []struct {
		recs []klog.Record
		want bool
	}{
		{rec(hdr, "[    2]     0     2    20480    12390      26        0         -1000 t0"), true},
		{rec(hdr, "[    2]     0     2    20480    12390      26        0         -1000 t0", "[    3]     0     3     5120       10       1        0         -1000 t1"), true},
		{rec(hdr, "[    2]     0     2    20480    12390      26        0         -1000 t0", "[    3]     0     3     5120       10       1        0          -999 t1"), false},
		{rec(hdr), false},
		{rec("Mem-Info:"), false},
		{rec(hdr, "[    2]     0     2    20480    12390      26        0             0 t0", hdr, "[    2]     0     2    20480    12390      26        0         -1000 t0", "Kernel panic"), true},
	} {
		if got := allUnkillable(c.recs); got != c.want {
			t.Errorf("allUnkillable(%v) = %v, want %v", c.recs, got, c.want)
		}
	}

}
