// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"testing"

	"pagesim/sim"
)

// migFixture: a machine with a scheduler and one process mapping n
// written anonymous pages, drained onto the LRU.
type migFixture struct {
	s     *System
	sched *sim.Scheduler
	m     *MMStruct
	addr  uint64
	pfns  []uint64
}

func newMigFixture(t testing.TB, n int) *migFixture {
	t.Helper()
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Stop("done") })
	fx := &migFixture{s: s, sched: sched}
	fx.run(t, func(*sim.Task) {
		fx.m, _ = s.NewMM()
		fx.addr, _ = s.MmapAnon(fx.m, uint64(n)*PAGE_SIZE, true)
		for i := 0; i < n; i++ {
			a := fx.addr + uint64(i)*PAGE_SIZE
			s.UserAccess(fx.m, a, true, uint64(100+i))
			fx.pfns = append(fx.pfns, fx.m.pteOffset(a).pfn())
		}
		s.LRUAddDrainAll()
	})
	return fx
}

func (fx *migFixture) run(t testing.TB, fn func(*sim.Task)) {
	t.Helper()
	fx.sched.Spawn("migrator", 0, fn)
	if err := fx.sched.Run(); err != nil {
		t.Fatal(err)
	}
}

// isolate puts pages on a migration list as compaction does
// (isolate_lru_page + acct_isolated).
func (fx *migFixture) isolate(pfns ...uint64) ListHead {
	s := fx.s
	l := s.newListHead()
	for _, pfn := range pfns {
		if s.isolateLRUPage(pfn) {
			s.listAddTail(uint32(pfn), l)
			s.pfnZone(pfn).modZonePageState(NR_ISOLATED_ANON+ZoneStatItem(b2i(s.pages[pfn].pageIsFileCache())), 1)
		}
	}
	return l
}

// migFreeList is a compaction-like private free list: new pages come from
// its head, failed ones go back to its head (list_add).
type migFreeList struct {
	s    *System
	head ListHead
	puts int
}

func newMigFreeList(s *System, n int) *migFreeList {
	fl := &migFreeList{s: s, head: s.newListHead()}
	for i := 0; i < n; i++ {
		pfn, _ := s.AllocPages(GFP_HIGHUSER_MOVABLE, 0)
		s.listAddTail(uint32(pfn), fl.head)
	}
	return fl
}

func (fl *migFreeList) get(pfn uint64, _ any) (uint64, bool) {
	if fl.s.listEmpty(fl.head) {
		return 0, false
	}
	n := fl.s.listFirst(fl.head)
	fl.s.listDel(n)
	return uint64(n), true
}

func (fl *migFreeList) put(newpfn uint64, _ any) {
	fl.puts++
	fl.s.listAdd(uint32(newpfn), fl.head)
}

func (fl *migFreeList) release() {
	for !fl.s.listEmpty(fl.head) {
		n := fl.s.listFirst(fl.head)
		fl.s.listDel(n)
		fl.s.FreePages(uint64(n), 0)
	}
}

// TestMigrateAnonMovesDataAndMapping checks migrate_pages() on a mapped
// anonymous page: the PTE now maps the new frame (via a migration entry
// and remove_migration_ptes), the data and flags moved, the old frame is
// freed once its LRU putback drops the last reference, pgmigrate_success
// counts it, and NR_ISOLATED_ANON is back to zero.
func TestMigrateAnonMovesDataAndMapping(t *testing.T) {
	fx := newMigFixture(t, 2)
	s := fx.s
	old := fx.pfns[0]
	var rc int
	fl := newMigFreeList(s, 4)
	fx.run(t, func(*sim.Task) {
		l := fx.isolate(old)
		rc = s.MigratePages(l, fl.get, fl.put, nil, MIGRATE_SYNC, MR_COMPACTION)
		s.LRUAddDrainAll()
	})
	if rc != 0 || s.VMEvent(PGMIGRATE_SUCCESS) != 1 {
		t.Fatalf("migrate_pages rc %d, pgmigrate_success %d", rc, s.VMEvent(PGMIGRATE_SUCCESS))
	}
	now := fx.m.pteOffset(fx.addr).pfn()
	if now == old {
		t.Fatalf("PTE still maps the old frame")
	}
	if s.pages[old].count != 0 {
		t.Fatalf("old frame still referenced (%d)", s.pages[old].count)
	}
	np := &s.pages[now]
	if np.data != 100 || !np.PageAnon() || !np.PageSwapBacked() || np.mapcount != 1 {
		t.Fatalf("new page: data %d anon %v swapbacked %v mapcount %d", np.data, np.PageAnon(), np.PageSwapBacked(), np.mapcount)
	}
	fl.release()
	checkInv(t, s)
}

// TestMigrateExtraReferenceEAGAIN checks migrate_page_move_mapping()'s
// reference check: a page with a reference beyond the expected ones (a
// pin, as get_user_pages takes for direct I/O) fails with -EAGAIN on every
// pass, stays on the list, and keeps its mapping (the migration entries are
// turned back into PTEs of the old page).
func TestMigrateExtraReferenceEAGAIN(t *testing.T) {
	fx := newMigFixture(t, 1)
	s := fx.s
	pfn := fx.pfns[0]
	s.GetPage(pfn) // the pin
	fl := newMigFreeList(s, 2)
	var rc int
	var l ListHead
	fx.run(t, func(*sim.Task) {
		l = fx.isolate(pfn)
		rc = s.MigratePages(l, fl.get, fl.put, nil, MIGRATE_SYNC, MR_COMPACTION)
	})
	if rc != 1 || s.listEmpty(l) {
		t.Fatalf("rc %d; the pinned page should be left on the list as a retry", rc)
	}
	if fx.m.pteOffset(fx.addr).pfn() != pfn || s.pages[pfn].mapcount != 1 {
		t.Fatalf("pinned page's mapping was not restored")
	}
	if fl.puts != 10 {
		t.Fatalf("put_new_page called %d times, want 10 (one per pass)", fl.puts)
	}
	fx.run(t, func(*sim.Task) { s.PutbackMovablePages(l); s.LRUAddDrainAll() })
	s.PutPage(pfn) // unpin
	fl.release()
	checkInv(t, s)
}

// TestMigrateAsyncNeverBlocks checks the migrate modes: MIGRATE_ASYNC
// never sleeps on a locked page (it gives -EAGAIN at once, even on the
// forcing passes) and returns -EBUSY for a page under writeback instead of
// waiting; virtual time does not pass.
func TestMigrateAsyncNeverBlocks(t *testing.T) {
	fx := newMigFixture(t, 2)
	s := fx.s
	locked, wb := fx.pfns[0], fx.pfns[1]
	s.pages[locked].setFlag(PG_locked)
	s.pages[wb].setFlag(PG_writeback)
	s.pfnZone(wb).modZonePageState(NR_WRITEBACK, 1)
	fl := newMigFreeList(s, 4)
	var rc int
	var l ListHead
	var start, end int64
	fx.run(t, func(task *sim.Task) {
		l = fx.isolate(locked, wb)
		start = task.Now()
		rc = s.MigratePages(l, fl.get, fl.put, nil, MIGRATE_ASYNC, MR_COMPACTION)
		end = task.Now()
	})
	if rc != 2 || s.VMEvent(PGMIGRATE_FAIL) != 1 {
		t.Fatalf("rc %d pgmigrate_fail %d: want the writeback page failed (-EBUSY) and the locked one retried", rc, s.VMEvent(PGMIGRATE_FAIL))
	}
	if end-start > 10*int64(sim.DefaultYieldCost)*10 {
		t.Fatalf("async migration took %d ns of virtual time: it slept", end-start)
	}
	s.pages[locked].clearFlag(PG_locked)
	fx.run(t, func(*sim.Task) {
		s.PutbackMovablePages(l)
		s.EndPageWriteback(wb)
		s.LRUAddDrainAll()
	})
	fl.release()
	checkInv(t, s)
}

// TestPutNewPageVariants checks the variants around the seed on a failed
// migration of a swap-backed page: v3.15 frees the newpage; v3.16-rc1 gives
// it back through put_new_page with PG_swapbacked still set; v3.16 clears
// PG_swapbacked before giving it back; v4.5 never set it; and the debug
// check reports the stray flag at the putback.
func TestPutNewPageVariants(t *testing.T) {
	cases := []struct {
		name     string
		patches  []string
		puts     int
		stray    bool
		reported bool
	}{
		{"v3.15", nil, 0, false, false},
		{"v3.16-rc1", []string{PatchPutNewPage}, 10, true, false},
		{"v3.16", []string{PatchPutNewPage, PatchClearSwapBacked}, 10, false, false},
		{"v4.5", []string{PatchPutNewPage, PatchNewpageUntouched}, 10, false, false},
		{"v3.16-rc1+debug", []string{PatchPutNewPage, PatchPutNewPageDebugCheck}, 0, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fx := newMigFixture(t, 1)
			s := fx.s
			s.SetPatches(tc.patches)
			pfn := fx.pfns[0]
			s.GetPage(pfn) // an extra reference: migration fails
			fl := newMigFreeList(s, 1)
			var l ListHead
			fx.run(t, func(*sim.Task) {
				l = fx.isolate(pfn)
				s.MigratePages(l, fl.get, fl.put, nil, MIGRATE_SYNC, MR_COMPACTION)
				s.PutbackMovablePages(l)
				s.LRUAddDrainAll()
			})
			if fl.puts != tc.puts {
				t.Fatalf("put_new_page called %d times, want %d", fl.puts, tc.puts)
			}
			if tc.puts > 0 {
				head := uint64(s.listFirst(fl.head))
				if got := s.pages[head].PageSwapBacked(); got != tc.stray {
					t.Fatalf("page back on the free list: PG_swapbacked %v, want %v", got, tc.stray)
				}
			}
			leaked := false
			for i := uint64(0); i < s.maxPFN; i++ {
				if s.badLeaked[i] {
					leaked = true
				}
			}
			if leaked != tc.reported {
				t.Fatalf("debug check reported: %v, want %v", leaked, tc.reported)
			}
			s.PutPage(pfn)
			// Freeing clears the flags (free_pages_check is not bothered
			// by PG_swapbacked), so the leftover page goes back cleanly.
			fl.release()
			checkInv(t, s)
		})
	}
}

// BenchmarkMigratePages measures migrate_pages() in MIGRATE_SYNC mode on
// batches of 32 mapped anonymous pages (COMPACT_CLUSTER_MAX, compaction's
// batch): isolation, unmap with migration entries, the copy, the mapping
// move and remove_migration_ptes, per page. Quote ns/page as a multiple of
// BenchmarkBaselinePool4KiB/1's.
func BenchmarkMigratePages(b *testing.B) {
	const batch = COMPACT_CLUSTER_MAX
	fx := newMigFixture(b, 4096)
	s := fx.s
	b.ResetTimer()
	fx.run(b, func(*sim.Task) {
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			var pfns []uint64
			first := uint64(i*batch) % 4096
			for j := uint64(0); j < batch; j++ {
				pfns = append(pfns, fx.m.pteOffset(fx.addr+(first+j)*PAGE_SIZE).pfn())
			}
			fl := newMigFreeList(s, batch)
			b.StartTimer()
			l := fx.isolate(pfns...)
			if rc := s.MigratePages(l, fl.get, fl.put, nil, MIGRATE_SYNC, MR_COMPACTION); rc != 0 {
				b.Fatalf("migrate_pages = %d", rc)
			}
			b.StopTimer()
			fl.release()
			s.LRUAddDrainAll()
			b.StartTimer()
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/page")
}
