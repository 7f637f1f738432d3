// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"pagesim/mm"
)

// The founding case (../shared/seed): on v3.16-rc1 a dirty xfs or ext4
// page can end up PageSwapBacked after compaction, fail
// shrink_page_list's page_is_file_cache() test and reach ->writepage from
// direct reclaim, which the filesystems WARN about. These tests build the
// workload from ordinary system calls and check what each kernel does; the
// model holds no branch, flag or table for the scenario.

// seedCase is one run of the founding scenario.
type seedCase struct {
	kernel  string
	patches []string
	fs      string // "xfs" or "ext4": the filesystem of the dirty file page
	backing string // "shmem" or "anon": the pinned swap-backed page
	swap    bool
	// after, if set, runs in trinity-c61 after the pressure, with the
	// file's descriptor.
	after func(p *Process, fd int)
}

// seedRun is what a seed scenario left behind.
type seedRun struct {
	m   *Machine
	log string
	// stray lists the file pages with PG_swapbacked right after
	// compaction, as the invariant checker reports them.
	stray []uint64
}

// runSeed boots the machine for c and runs SeedWorkload on it, recording
// the stray pages right after compaction.
func runSeed(t *testing.T, c seedCase) seedRun {
	t.Helper()
	m, err := Boot(SeedConfig(c.kernel, c.patches, c.fs, c.swap))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	m.MM.EnablePageHistory()
	if testing.Verbose() {
		tr := mm.NewTracer([]string{"mm_compaction*", "mm_migrate_pages"})
		m.MM.SetTracer(tr)
		t.Cleanup(func() { t.Log(strings.Join(tr.Lines(), "\n")) })
	}
	var run seedRun
	w := NewSeedWorkload(c.backing, c.swap)
	w.AfterCompaction = func(p *Process) { run.stray = strayPages(p.m) }
	w.After = c.after
	w.Err = func(what string, err error) { t.Errorf("%s: %v", what, err) }
	w.Spawn(m)
	res := m.Run(0)
	if res.Err != nil {
		t.Fatalf("%v\n%s", res.Err, m.Log.String())
	}
	run.m = m
	run.log = m.Log.String()
	return run
}

// The seed's call trace, frame by frame, below the WARN's own frames.
var seedTrace = []string{"shrink_page_list", "shrink_inactive_list", "shrink_lruvec", "shrink_zone",
	"shrink_zones", "try_to_free_pages", "__alloc_pages_nodemask", "alloc_pages_vma", "handle_mm_fault"}

var writepageWarn = map[string]string{
	"xfs":  "at fs/xfs/xfs_aops.c:971 xfs_vm_writepage+",
	"ext4": "at fs/ext4/inode.c:1881 ext4_writepage+",
}

// checkSeedTrace checks that the WARN's call trace is the seed's: the
// writepage, then exactly the frames of seedTrace.
func checkSeedTrace(t *testing.T, log, fsType string) {
	t.Helper()
	i := strings.Index(log, writepageWarn[fsType])
	if i < 0 {
		t.Fatalf("no %s WARN:\n%s", fsType, log)
	}
	frame := regexp.MustCompile(`\[<[0-9a-f]+>\] ([a-z_0-9]+)\+`)
	var frames []string
	for _, m := range frame.FindAllStringSubmatch(log[i:], -1) {
		frames = append(frames, m[1])
	}
	writepage := map[string]string{"xfs": "xfs_vm_writepage", "ext4": "ext4_writepage"}[fsType]
	want := append([]string{"dump_stack", "warn_slowpath_common", "warn_slowpath_null", writepage}, seedTrace...)
	if len(frames) < len(want) || fmt.Sprint(frames[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("call trace %v, want it to start %v:\n%s", frames, want, log[i:])
	}
}

// strayPages returns the PFNs of the file pages with PG_swapbacked that
// the invariant checker reports.
func strayPages(m *Machine) []uint64 {
	var stray []uint64
	for _, v := range m.MM.CheckInvariants() {
		var pfn uint64
		if !strings.Contains(v, "PageSwapBacked") {
			continue
		}
		if _, err := fmt.Sscanf(v, "pfn %v", &pfn); err == nil && !slices.Contains(stray, pfn) {
			stray = append(stray, pfn)
		}
	}
	return stray
}

// TestSeedRegression checks the founding case on v3.16-rc1 (68711a746345
// without its fix): a failed migration's newpage goes back on
// cc->freepages with PG_swapbacked, the next page migrated — the dirty
// file page — inherits it, lands on an anon LRU, and direct reclaim calls
// ->writepage on it, which the filesystem WARNs about with the seed's
// call trace. The invariant checker reports the page, and its history
// tells the story.
func TestSeedRegression(t *testing.T) {
	for _, fsType := range []string{"xfs", "ext4"} {
		for _, backing := range []string{"shmem", "anon"} {
			t.Run(fsType+"/"+backing, func(t *testing.T) {
				run := runSeed(t, seedCase{kernel: "v3.16-rc1", fs: fsType, backing: backing, swap: true})
				checkSeedTrace(t, run.log, fsType)
				if strings.Count(run.log, "WARNING:") != 1 {
					t.Errorf("want exactly one WARNING (WARN_ON_ONCE):\n%s", run.log)
				}
				if len(run.stray) == 0 {
					t.Fatal("after compaction the invariant checker reports no file page with PG_swapbacked")
				}
				// The page the WARN was about: a stray page direct reclaim
				// wrote. Its history from this life on (the frame's earlier
				// lives are recorded too), in order.
				var story string
				for _, pfn := range run.stray {
					h := strings.Join(run.m.MM.PageHistory(pfn), "\n")
					life := h[max(0, strings.Index(h, "migration failed: put_new_page")):]
					if strings.Contains(life, "->writepage from direct reclaim") {
						story = life
						break
					}
				}
				steps := []string{
					"migration failed: put_new_page back to the caller, flags ",
					"swapbacked",
					"migrated from pfn ",
					"lru add: ", "_anon", // an anon LRU, active or inactive as the file page was
					"pageout: ->writepage from direct reclaim by trinity-c61",
				}
				rest := story
				for _, step := range steps {
					i := strings.Index(rest, step)
					if i < 0 {
						t.Fatalf("history lacks %q after the steps before it:\n%s", step, story)
					}
					rest = rest[i+len(step):]
				}
				if run.m.DataIntegrityErrors != 0 {
					t.Errorf("data integrity errors: %d", run.m.DataIntegrityErrors)
				}
			})
		}
	}
}

// TestSeedFixedKernels checks that the same workload runs clean where
// newpage never reaches put_new_page with PG_swapbacked: v3.15 frees a
// failed newpage, v3.16 (8bdd63809160) clears the flag before
// put_new_page, v4.5 never sets it before the mapping moved.
func TestSeedFixedKernels(t *testing.T) {
	for _, kernel := range []string{"v3.15", "v3.16", "v4.5"} {
		for _, fsType := range []string{"xfs", "ext4"} {
			for _, backing := range []string{"shmem", "anon"} {
				t.Run(kernel+"/"+fsType+"/"+backing, func(t *testing.T) {
					run := runSeed(t, seedCase{kernel: kernel, fs: fsType, backing: backing, swap: true})
					if strings.Contains(run.log, "WARNING:") || strings.Contains(run.log, "BUG:") {
						t.Fatalf("%s is not clean:\n%s", kernel, run.log)
					}
					if len(run.stray) != 0 {
						t.Fatalf("stray PageSwapBacked file pages on %s: %#x", kernel, run.stray)
					}
				})
			}
		}
	}
}

// TestSeedDebugPatch checks the thread's suggested check at put_new_page:
// on v3.16-rc1 it reports the stray flag at the putback, through bad_page,
// and takes the page out of use, so no file page inherits the flag.
func TestSeedDebugPatch(t *testing.T) {
	run := runSeed(t, seedCase{kernel: "v3.16-rc1", patches: []string{"+" + mm.PatchPutNewPageDebugCheck}, fs: "xfs", backing: "shmem", swap: true})
	if !strings.Contains(run.log, "BUG: Bad page state in process trinity-c61") ||
		!strings.Contains(run.log, "bad because of flags:") || !strings.Contains(run.log, "swapbacked") {
		t.Fatalf("no bad_page report at put_new_page:\n%s", run.log)
	}
	if strings.Contains(run.log, "WARNING:") {
		t.Fatalf("the WARN still happened:\n%s", run.log)
	}
	if len(run.stray) != 0 {
		t.Fatalf("stray pages: %#x", run.stray)
	}
}

// TestSeedSwapOff checks v3.16-rc1 with no swap: shmem pages are
// PageSwapBacked without swap, so compaction still makes stray pages, but
// get_scan_count never scans the anon LRUs without swap, so reclaim never
// reaches them and nothing WARNs; they stay on an anon LRU after the
// pressure, and after the flusher has cleaned them, until something other
// than reclaim (here drop_caches) takes them out of the page cache. An
// anon page cannot be the pinned page without swap: it is never in the
// swap cache, and compaction skips a pinned anon page without a mapping.
func TestSeedSwapOff(t *testing.T) {
	var parked, cleaned, dropped []uint64
	run := runSeed(t, seedCase{kernel: "v3.16-rc1", fs: "xfs", backing: "shmem", swap: false,
		after: func(p *Process, fd int) {
			parked = strayPages(p.m)
			// Past dirty_expire_centisecs the flusher writes them.
			if err := p.Sleep(40e9); err != nil {
				t.Error(err)
			}
			cleaned = strayPages(p.m)
			if err := p.DropCaches(1); err != nil {
				t.Error(err)
			}
			dropped = strayPages(p.m)
		}})
	if strings.Contains(run.log, "WARNING:") {
		t.Fatalf("WARN without swap:\n%s", run.log)
	}
	if len(run.stray) == 0 || fmt.Sprint(parked) != fmt.Sprint(run.stray) || fmt.Sprint(cleaned) != fmt.Sprint(run.stray) {
		t.Fatalf("stray pages %#x after compaction, %#x after the pressure, %#x after writeback: want the same", run.stray, parked, cleaned)
	}
	for _, pfn := range run.stray {
		story := strings.Join(run.m.MM.PageHistory(pfn), "\n")
		life := story[max(0, strings.Index(story, "migration failed: put_new_page")):]
		if !regexp.MustCompile(`migrated from pfn .*\n.*lru add: (in)?active_anon`).MatchString(life) ||
			strings.Contains(life, "pageout") || strings.Contains(life, "reclaimed by") {
			t.Fatalf("want pfn %#x parked on an anon LRU, never reclaimed:\n%s", pfn, life)
		}
		if !strings.Contains(life, "deleted from page cache") {
			t.Fatalf("drop_caches left pfn %#x in the page cache:\n%s", pfn, life)
		}
	}
	if len(dropped) != 0 {
		t.Fatalf("stray pages left after drop_caches: %#x", dropped)
	}
	if gap, _ := shmemGap(run.m); gap != len(run.stray) {
		t.Fatalf("NR_SHMEM is short by %d, want one per stray page (%d)", gap, len(run.stray))
	}
}

// shmemGap sums, over zones, how far NR_SHMEM falls short of the
// swap-backed pages the page caches hold, as the invariant checker reports
// it (with the counter unclamped); nrShmem is the counter's sum over the
// zones reported.
func shmemGap(m *Machine) (gap, nrShmem int) {
	for _, v := range m.MM.CheckInvariants() {
		var zone string
		var nr, held int
		if _, err := fmt.Sscanf(v, "%s NR_SHMEM %d but page caches hold %d swap-backed pages", &zone, &nr, &held); err == nil {
			gap += held - nr
			nrShmem += nr
		}
	}
	return gap, nrShmem
}

// TestSeedConsequences checks what the stray pages do on v3.16-rc1 beyond
// the WARN. NR_SHMEM falls short by one per stray page: it was never
// counted in (migrate_page_move_mapping counts by the old page's flags),
// and __delete_from_page_cache counts it out as PageSwapBacked. The
// NR_ISOLATED_* counters do not drift: isolation and putback each read the
// same page's flags. No data is lost: ->writepage from direct reclaim
// redirties the page and kswapd or the flusher writes it later. On v3.16
// the counters agree. On v3.16-rc1 the counter ends below zero, and
// /proc/meminfo shows Shmem as 0 (global_page_state clamps it).
func TestSeedConsequences(t *testing.T) {
	for _, kernel := range []string{"v3.16-rc1", "v3.16"} {
		t.Run(kernel, func(t *testing.T) {
			var vmstat, meminfo string
			run := runSeed(t, seedCase{kernel: kernel, fs: "xfs", backing: "shmem", swap: true,
				after: func(p *Process, fd int) {
					if _, err := p.Pread(fd, 0, SeedPairs*mm.PAGE_SIZE); err != nil {
						t.Error(err)
					}
					vmstat, _ = p.m.Proc("/proc/vmstat")
					meminfo, _ = p.m.Proc("/proc/meminfo")
				}})
			if run.m.DataIntegrityErrors != 0 {
				t.Errorf("%d data integrity errors:\n%s", run.m.DataIntegrityErrors, run.log)
			}
			for _, c := range []string{"nr_isolated_anon 0\n", "nr_isolated_file 0\n"} {
				if !strings.Contains(vmstat, c) {
					t.Errorf("want %q in /proc/vmstat:\n%s", c, vmstat)
				}
			}
			gap, nr := shmemGap(run.m)
			if gap != len(run.stray) {
				t.Errorf("NR_SHMEM is short by %d, want one per stray page (%d)", gap, len(run.stray))
			}
			if kernel == "v3.16-rc1" && (nr >= 0 || !strings.Contains(meminfo, "\nShmem:                 0 kB\n")) {
				t.Errorf("want NR_SHMEM below zero (%d) shown as Shmem 0 kB:\n%s", nr, meminfo)
			}
			if kernel == "v3.16-rc1" && len(run.stray) == 0 {
				t.Error("no stray pages on v3.16-rc1")
			}
		})
	}
}
