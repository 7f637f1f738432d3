// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"slices"
	"strings"
	"testing"

	"pagesim/klog"
	"pagesim/sim"
)

// testSwapDev is a swap disk for mm's own tests: one request at a time,
// each taking lat of virtual time, completing through the scheduler as
// fs.BlockDevice does, storing a data token per block.
type testSwapDev struct {
	sched         *sim.Scheduler
	lat, busy     int64
	blocks        map[uint64]uint64
	reads, writes int
}

func (d *testSwapDev) at() int64 {
	d.busy = max(d.busy, d.sched.Now()) + d.lat
	return d.busy
}

func (d *testSwapDev) SubmitWrite(block, token uint64, sync bool, done func()) {
	d.blocks[block] = token
	d.sched.At(d.at(), func() { d.writes++; done() })
}

func (d *testSwapDev) SubmitRead(block uint64, done func(uint64)) {
	d.sched.At(d.at(), func() { d.reads++; done(d.blocks[block]) })
}

func (d *testSwapDev) String() string { return "/dev/testswap" }

// swapMachine is a System with a scheduler, a log and a swap disk.
type swapMachine struct {
	s     *System
	sched *sim.Scheduler
	log   *klog.Log
	dev   *testSwapDev
}

const testSwapLatency = 100e3

// bootSwap boots a 256 MiB, 2-CPU machine and swaps on swapBytes of disk
// (none if 0).
func bootSwap(t testing.TB, swapBytes uint64) *swapMachine {
	t.Helper()
	clock := sim.NewClock()
	sched := sim.NewScheduler(clock, sim.NewRand(1), 2, sim.RoundRobin)
	log := klog.New(klog.Config{Clock: clock.Now, NoStackWords: true, Current: func() (int, int, string) {
		if tk := sched.Current(); tk != nil {
			return tk.CPU, tk.PID, tk.Comm
		}
		return 0, 0, "swapper/0"
	}})
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{Log: log, Sched: sched, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	sm := &swapMachine{s: s, sched: sched, log: log, dev: &testSwapDev{sched: sched, lat: testSwapLatency, blocks: map[uint64]uint64{}}}
	if swapBytes != 0 {
		if _, err := s.SwapOn(sm.dev, swapBytes, -1); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		// A task that failed the test (FailNow) left the scheduler
		// mid-dispatch; Stop then unwinds by panicking.
		defer func() { recover() }()
		sched.Stop("test done")
	})
	return sm
}

// run runs fn as a task until the machine is idle, then checks that
// nothing was reported and that the invariants hold.
func (sm *swapMachine) run(t testing.TB, fn func()) {
	t.Helper()
	sm.sched.Spawn("test", 0, func(*sim.Task) { fn() })
	if err := sm.sched.Run(); err != nil {
		t.Fatalf("run: %v\n%s", err, sm.log.String())
	}
}

// check fails on any invariant violation or kernel report.
func (sm *swapMachine) check(t testing.TB) {
	t.Helper()
	checkInv(t, sm.s)
	if out := sm.log.String(); containsAny(out, "BUG", "WARNING", "Bad ", "Unused swap") {
		t.Fatalf("kernel log:\n%s", out)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// swapPTE returns the swap entry a PTE holds, failing if it holds none.
func swapPTE(t testing.TB, m *MMStruct, addr uint64) swpEntry {
	t.Helper()
	e := m.pteOffset(addr)
	if e == nil || e.present() || e.none() {
		t.Fatalf("no swap PTE at %#x", addr)
	}
	return pteToSwpEntry(*e)
}

// TestAnonSwapOutAndIn drives one anonymous page through the swap-out
// steps of shrink_page_list by hand and back in by a fault. Rules:
// add_to_swap gives the locked page a slot (swap_map SWAP_HAS_CACHE),
// puts it in the swap cache (PG_swapcache, page->private = the entry, a
// cache reference, NR_FILE_PAGES) and dirties it; try_to_unmap replaces
// the PTE with the swap entry (swap_map count 1, MM_ANONPAGES to
// MM_SWAPENTS); swap_writepage counts PSWPOUT and leaves the page under
// writeback, unlocked; once written and clean, __remove_mapping takes it
// out of the swap cache and it is freed, the slot still held by the PTE.
// The next access is a major fault (PGMAJFAULT, PSWPIN) that maps the
// page with the data that was written; the swap PTE's reference goes, the
// page stays in the swap cache.
func TestAnonSwapOutAndIn(t *testing.T) {
	sm := bootSwap(t, 64<<20)
	s := sm.s
	totalSlots := s.TotalSwapPages()
	if totalSlots != 64<<20>>PAGE_SHIFT-1 || s.NrSwapPages() != totalSlots {
		t.Fatalf("swapon: total %d free %d", totalSlots, s.NrSwapPages())
	}
	sm.run(t, func() {
		m, _ := s.NewMM()
		addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
		if _, err := s.UserAccess(m, addr, true, 0x5a5a); err != nil {
			t.Fatal(err)
		}
		_, pfn := ptePFN(t, m, addr)
		p := s.Page(pfn)

		// isolate_lru_page, as shrink_inactive_list does (after
		// shrink_active_list deactivated it).
		s.LRUAddDrainAll()
		if !s.isolateLRUPage(pfn) {
			t.Fatal("isolate_lru_page failed")
		}
		p.clearFlag(PG_active)
		if !s.trylockPage(pfn) {
			t.Fatal("page locked")
		}
		s.pageReferenced(pfn, true) // page_check_references' rmap walk
		if !s.addToSwap(pfn) {
			t.Fatal("add_to_swap failed")
		}
		entry := swpEntryFromVal(p.private)
		if !p.PageSwapCache() || !p.PageDirty() || entry.Type != 0 || entry.Offset != 1 {
			t.Fatalf("after add_to_swap: swapcache %v dirty %v entry %+v", p.PageSwapCache(), p.PageDirty(), entry)
		}
		if c := s.SwapMapCount(0, 1); c != SWAP_HAS_CACHE {
			t.Fatalf("swap_map after add_to_swap %#x, want SWAP_HAS_CACHE", c)
		}
		if p.Count() != 3 { // PTE, isolation, swap cache
			t.Fatalf("_count %d after add_to_swap, want 3", p.Count())
		}
		if r := s.tryToUnmap(pfn, TTU_UNMAP); r != SWAP_SUCCESS {
			t.Fatalf("try_to_unmap = %d", r)
		}
		if e := swapPTE(t, m, addr); e != entry {
			t.Fatalf("PTE holds %+v, want %+v", e, entry)
		}
		if c := s.SwapMapCount(0, 1); c != SWAP_HAS_CACHE|1 {
			t.Fatalf("swap_map after unmap %#x, want SWAP_HAS_CACHE|1", c)
		}
		if m.RSS(MM_ANONPAGES) != 0 || m.RSS(MM_SWAPENTS) != 1 || p.Mapcount() != 0 {
			t.Fatalf("rss anon %d swapents %d mapcount %d", m.RSS(MM_ANONPAGES), m.RSS(MM_SWAPENTS), p.Mapcount())
		}
		// pageout: clear_page_dirty_for_io, SetPageReclaim, ->writepage.
		pswpout := s.vmEvents[PSWPOUT]
		if r := s.pageout(pfn, s.pageMapping(pfn), &scanControl{gfpMask: GFP_KERNEL}); r != PAGE_SUCCESS {
			t.Fatalf("pageout = %d", r)
		}
		if s.vmEvents[PSWPOUT] != pswpout+1 || !p.PageWriteback() || p.PageLocked() || p.PageDirty() {
			t.Fatalf("after swap_writepage: pswpout +%d writeback %v locked %v dirty %v",
				s.vmEvents[PSWPOUT]-pswpout, p.PageWriteback(), p.PageLocked(), p.PageDirty())
		}
		s.WaitOnPageWriteback(pfn)
		if sm.dev.blocks[1] != 0x5a5a {
			t.Fatalf("swap block 1 holds %#x", sm.dev.blocks[1])
		}
		// The next shrink_page_list pass: clean, unmapped, written.
		s.lockPage(pfn)
		if !s.__removeMapping(s.swapperSpace, pfn, true) {
			t.Fatalf("__remove_mapping refused: count %d dirty %v", p.Count(), p.PageDirty())
		}
		p.clearFlag(PG_locked)
		s.FreeHotColdPageList([]uint64{pfn}, true)
		if c := s.SwapMapCount(0, 1); c != 1 {
			t.Fatalf("swap_map after __remove_mapping %#x, want 1", c)
		}
		if s.NrSwapPages() != totalSlots-1 {
			t.Fatalf("nr_swap_pages %d, want %d", s.NrSwapPages(), totalSlots-1)
		}
		checkInv(t, s)

		maj, pswpin := s.vmEvents[PGMAJFAULT], s.vmEvents[PSWPIN]
		got, err := s.UserAccess(m, addr, false, 0)
		if err != nil || got != 0x5a5a {
			t.Fatalf("read back %#x, %v; want 0x5a5a", got, err)
		}
		if s.vmEvents[PGMAJFAULT] != maj+1 || s.vmEvents[PSWPIN] != pswpin+1 {
			t.Fatalf("PGMAJFAULT +%d PSWPIN +%d, want +1 each", s.vmEvents[PGMAJFAULT]-maj, s.vmEvents[PSWPIN]-pswpin)
		}
		e, npfn := ptePFN(t, m, addr)
		np := s.Page(npfn)
		if e.write() || !np.PageAnon() || !np.PageSwapCache() || np.Mapcount() != 1 {
			t.Fatalf("swapped-in page: write %v anon %v swapcache %v mapcount %d", e.write(), np.PageAnon(), np.PageSwapCache(), np.Mapcount())
		}
		if m.RSS(MM_ANONPAGES) != 1 || m.RSS(MM_SWAPENTS) != 0 {
			t.Fatalf("rss anon %d swapents %d", m.RSS(MM_ANONPAGES), m.RSS(MM_SWAPENTS))
		}
		if c := s.SwapMapCount(0, 1); c != SWAP_HAS_CACHE {
			t.Fatalf("swap_map after swap-in %#x, want SWAP_HAS_CACHE (only the cache)", c)
		}
		// A write now reuses the page (reuse_swap_page): it leaves the
		// swap cache, dirty, and the slot is free.
		if _, err := s.UserAccess(m, addr, true, 0x77); err != nil {
			t.Fatal(err)
		}
		if _, p2 := ptePFN(t, m, addr); p2 != npfn || np.PageSwapCache() || !np.PageDirty() {
			t.Fatalf("write fault: pfn %#x (was %#x) swapcache %v dirty %v", p2, npfn, np.PageSwapCache(), np.PageDirty())
		}
		if c := s.SwapMapCount(0, 1); c != 0 || s.NrSwapPages() != totalSlots {
			t.Fatalf("slot after reuse %#x, nr_swap_pages %d", c, s.NrSwapPages())
		}
		s.Mmput(m)
	})
	sm.check(t)
}

// TestForkSharesSwapEntry checks copy_one_pte() for swap PTEs: fork takes
// a second reference (swap_duplicate: swap_map count 2, the child's
// MM_SWAPENTS); both processes read the page back, the second from the
// swap cache without I/O; and that try_to_unmap of a page both map walks
// the anon_vma chains into the child (two swap PTEs, count 2).
func TestForkSharesSwapEntry(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		parent, _ := s.NewMM()
		addr, _ := s.MmapAnon(parent, 2*PAGE_SIZE, true)
		s.UserAccess(parent, addr, true, 0x111)
		s.UserAccess(parent, addr+PAGE_SIZE, true, 0x222)

		// Page 0: swapped out before fork.
		_, pfn := ptePFN(t, parent, addr)
		if !s.ReclaimPage(pfn) {
			t.Fatal("ReclaimPage failed")
		}
		entry := swapPTE(t, parent, addr)
		child, err := s.DupMM(parent)
		if err != nil {
			t.Fatal(err)
		}
		if c := s.SwapMapCount(entry.Type, entry.Offset); c != 2 {
			t.Fatalf("swap_map after fork %#x, want 2", c)
		}
		if child.RSS(MM_SWAPENTS) != 1 || swapPTE(t, child, addr) != entry {
			t.Fatalf("child swapents %d", child.RSS(MM_SWAPENTS))
		}
		checkInv(t, s)
		pswpin := s.vmEvents[PSWPIN]
		if got, _ := s.UserAccess(child, addr, false, 0); got != 0x111 {
			t.Fatalf("child read %#x", got)
		}
		if got, _ := s.UserAccess(parent, addr, false, 0); got != 0x111 {
			t.Fatalf("parent read %#x", got)
		}
		if s.vmEvents[PSWPIN] != pswpin+1 {
			t.Fatalf("PSWPIN +%d, want +1 (the second fault hits the swap cache)", s.vmEvents[PSWPIN]-pswpin)
		}
		_, a := ptePFN(t, parent, addr)
		_, b := ptePFN(t, child, addr)
		if a != b || s.Page(a).Mapcount() != 2 || s.SwapMapCount(entry.Type, entry.Offset) != SWAP_HAS_CACHE {
			t.Fatalf("shared swap-in: pfns %#x %#x mapcount %d swap_map %#x", a, b, s.Page(a).Mapcount(), s.SwapMapCount(entry.Type, entry.Offset))
		}
		checkInv(t, s)

		// Page 1: mapped by both, swapped out through both mappings.
		_, pfn = ptePFN(t, parent, addr+PAGE_SIZE)
		if !s.ReclaimPage(pfn) {
			t.Fatal("ReclaimPage of the shared page failed")
		}
		e1, e2 := swapPTE(t, parent, addr+PAGE_SIZE), swapPTE(t, child, addr+PAGE_SIZE)
		if e1 != e2 || s.SwapMapCount(e1.Type, e1.Offset) != 2 {
			t.Fatalf("shared swap-out: entries %+v %+v swap_map %#x", e1, e2, s.SwapMapCount(e1.Type, e1.Offset))
		}
		checkInv(t, s)
		if got, _ := s.UserAccess(parent, addr+PAGE_SIZE, false, 0); got != 0x222 {
			t.Fatalf("parent read %#x", got)
		}
		// A write by the child copies: the parent still maps the page.
		s.UserAccess(child, addr+PAGE_SIZE, true, 0x333)
		if got, _ := s.UserAccess(parent, addr+PAGE_SIZE, false, 0); got != 0x222 {
			t.Fatalf("parent read after child's write %#x", got)
		}
		if got, _ := s.UserAccess(child, addr+PAGE_SIZE, false, 0); got != 0x333 {
			t.Fatalf("child read %#x", got)
		}
		s.Mmput(child)
		s.Mmput(parent)
		if s.NrSwapPages() != s.TotalSwapPages() {
			t.Fatalf("after exit nr_swap_pages %d of %d", s.NrSwapPages(), s.TotalSwapPages())
		}
	})
	sm.check(t)
}

// TestMunmapFreesSwap checks zap_pte_range()'s swap branch: munmap of a
// swapped-out page drops MM_SWAPENTS and the slot (free_swap_and_cache),
// and of a page still in the swap cache after writeback also frees the
// cache page, since nothing maps it; nr_swap_pages comes back.
func TestMunmapFreesSwap(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		m, _ := s.NewMM()
		addr, _ := s.MmapAnon(m, 2*PAGE_SIZE, true)
		s.UserAccess(m, addr, true, 1)
		s.UserAccess(m, addr+PAGE_SIZE, true, 2)
		_, pfn0 := ptePFN(t, m, addr)
		if !s.ReclaimPage(pfn0) {
			t.Fatal("ReclaimPage failed")
		}
		// Page 1 goes to swap and is written, but stays in the swap cache:
		// shrink_page_list's keep path after pageout.
		_, pfn1 := ptePFN(t, m, addr+PAGE_SIZE)
		s.LRUAddDrainAll()
		s.isolateLRUPage(pfn1)
		s.pages[pfn1].clearFlag(PG_active)
		s.lockPage(pfn1)
		s.addToSwap(pfn1)
		s.tryToUnmap(pfn1, TTU_UNMAP|TTU_IGNORE_ACCESS)
		if r := s.pageout(pfn1, s.pageMapping(pfn1), &scanControl{gfpMask: GFP_KERNEL}); r != PAGE_SUCCESS {
			t.Fatalf("pageout = %d", r)
		}
		s.WaitOnPageWriteback(pfn1)
		s.putbackLRUPage(pfn1)
		e1 := swapPTE(t, m, addr+PAGE_SIZE)
		if m.RSS(MM_SWAPENTS) != 2 || s.NrSwapPages() != s.TotalSwapPages()-2 {
			t.Fatalf("swapents %d nr_swap_pages %d", m.RSS(MM_SWAPENTS), s.NrSwapPages())
		}
		checkInv(t, s)
		free := freeNow(s)
		if err := s.Munmap(m, addr, 2*PAGE_SIZE); err != nil {
			t.Fatal(err)
		}
		if m.RSS(MM_SWAPENTS) != 0 || s.NrSwapPages() != s.TotalSwapPages() {
			t.Fatalf("after munmap: swapents %d nr_swap_pages %d of %d", m.RSS(MM_SWAPENTS), s.NrSwapPages(), s.TotalSwapPages())
		}
		if c := s.SwapMapCount(e1.Type, e1.Offset); c != 0 {
			t.Fatalf("slot of the cached page %#x after munmap", c)
		}
		if s.Page(pfn1).PageSwapCache() || s.totalSwapcachePages() != 0 {
			t.Fatal("swap cache page survived munmap")
		}
		if freeNow(s) <= free {
			t.Fatal("munmap freed no page")
		}
		s.Mmput(m)
	})
	sm.check(t)
}

// TestSwapoffBringsBack checks swapoff(): try_to_unuse reads every slot
// in use back, puts anon pages back in every PTE that referenced them
// (unuse_pte: MM_SWAPENTS to MM_ANONPAGES, a shared slot in both
// processes) and shmem pages back in their file (shmem_unuse); the area
// is released (nr_swap_pages and total_swap_pages 0) and every byte
// reads back as written.
func TestSwapoffBringsBack(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		parent, _ := s.NewMM()
		const n = 6
		addr, _ := s.MmapAnon(parent, n*PAGE_SIZE, true)
		for i := uint64(0); i < n; i++ {
			s.UserAccess(parent, addr+i*PAGE_SIZE, true, 0x1000+i)
		}
		child, _ := s.DupMM(parent)
		s.UserAccess(child, addr+5*PAGE_SIZE, true, 0x2005) // COW copy
		for i := uint64(0); i < n; i++ {
			if pfn, ok := s.FollowPage(parent, addr+i*PAGE_SIZE); ok {
				s.ReclaimPage(pfn)
			}
		}
		if pfn, ok := s.FollowPage(child, addr+5*PAGE_SIZE); ok {
			s.ReclaimPage(pfn)
		}
		f := newShmemFile(s)
		if _, err := s.GenericPerformWrite(f.m, 0, PAGE_SIZE, 0x3000); err != nil {
			t.Fatal(err)
		}
		spfn, _ := s.FindGetPage(f.m, 0)
		s.PutPage(spfn)
		if !s.ReclaimPage(spfn) {
			t.Fatal("ReclaimPage of the shmem page failed")
		}
		if parent.RSS(MM_SWAPENTS) != n || child.RSS(MM_SWAPENTS) != n || s.ShmemInfo(f.m).Swapped() != 1 {
			t.Fatalf("swapents parent %d child %d shmem swapped %d", parent.RSS(MM_SWAPENTS), child.RSS(MM_SWAPENTS), s.ShmemInfo(f.m).Swapped())
		}
		checkInv(t, s)
		if err := s.SwapOff(sm.dev); err != nil {
			t.Fatal(err)
		}
		if s.NrSwapPages() != 0 || s.TotalSwapPages() != 0 || len(s.Swaps()) != 0 || s.totalSwapcachePages() != 0 {
			t.Fatalf("after swapoff: nr %d total %d areas %d swapcache %d", s.NrSwapPages(), s.TotalSwapPages(), len(s.Swaps()), s.totalSwapcachePages())
		}
		if parent.RSS(MM_SWAPENTS) != 0 || child.RSS(MM_SWAPENTS) != 0 || parent.RSS(MM_ANONPAGES) != n || child.RSS(MM_ANONPAGES) != n {
			t.Fatalf("rss after swapoff: parent %d/%d child %d/%d", parent.RSS(MM_ANONPAGES), parent.RSS(MM_SWAPENTS), child.RSS(MM_ANONPAGES), child.RSS(MM_SWAPENTS))
		}
		for i := uint64(0); i < n; i++ {
			want := 0x1000 + i
			if _, pfn := ptePFN(t, parent, addr+i*PAGE_SIZE); s.Page(pfn).Data() != want {
				t.Fatalf("parent page %d holds %#x", i, s.Page(pfn).Data())
			}
			if i == 5 {
				want = 0x2005
			}
			if _, pfn := ptePFN(t, child, addr+i*PAGE_SIZE); s.Page(pfn).Data() != want {
				t.Fatalf("child page %d holds %#x", i, s.Page(pfn).Data())
			}
		}
		if s.ShmemInfo(f.m).Swapped() != 0 || f.m.NrPages() != 1 {
			t.Fatalf("shmem after swapoff: swapped %d nrpages %d", s.ShmemInfo(f.m).Swapped(), f.m.NrPages())
		}
		if toks, _ := s.ShmemFileRead(f.m, 0, PAGE_SIZE); len(toks) != 1 || toks[0] != (PageRead{0, MixToken(0, 0x3000), PAGE_SIZE}) {
			t.Fatalf("shmem read %v", toks)
		}
		checkInv(t, s)
		s.Mmput(child)
		s.Mmput(parent)
	})
	sm.check(t)
}

// TestSwapReadaheadCluster checks swapin_readahead(): a fault after
// readahead hits reads the page_cluster-aligned cluster (8 slots, the
// header slot excepted) around the entry; the other pages land in the
// swap cache marked PG_readahead, and a later fault on one of them is a
// minor fault that counts a readahead hit.
func TestSwapReadaheadCluster(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		m, _ := s.NewMM()
		const n = 7
		addr, _ := s.MmapAnon(m, n*PAGE_SIZE, true)
		for i := uint64(0); i < n; i++ {
			s.UserAccess(m, addr+i*PAGE_SIZE, true, 0x40+i)
		}
		for i := uint64(0); i < n; i++ {
			_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
			if !s.ReclaimPage(pfn) {
				t.Fatalf("ReclaimPage %d failed", i)
			}
		}
		if e := swapPTE(t, m, addr+3*PAGE_SIZE); e.Offset != 4 {
			t.Fatalf("page 3 in slot %d, want 4 (slots in order from 1)", e.Offset)
		}
		pswpin, maj := s.vmEvents[PSWPIN], s.vmEvents[PGMAJFAULT]
		if got, _ := s.UserAccess(m, addr+3*PAGE_SIZE, false, 0); got != 0x43 {
			t.Fatalf("read %#x", got)
		}
		if d := s.vmEvents[PSWPIN] - pswpin; d != n {
			t.Fatalf("PSWPIN +%d, want %d (slots 1..7)", d, n)
		}
		if s.totalSwapcachePages() != n {
			t.Fatalf("swap cache holds %d pages", s.totalSwapcachePages())
		}
		pfn, ok := s.FindGetPage(s.swapperSpace, swpEntry{Type: 0, Offset: 6}.val())
		if !ok || !s.Page(pfn).testFlag(PG_readahead) {
			t.Fatalf("slot 6 not read ahead")
		}
		s.PutPage(pfn)
		hits := s.swap.readaheadHits
		if got, _ := s.UserAccess(m, addr+5*PAGE_SIZE, false, 0); got != 0x45 {
			t.Fatalf("read %#x", got)
		}
		if s.vmEvents[PGMAJFAULT] != maj+1 || s.swap.readaheadHits != hits+1 {
			t.Fatalf("PGMAJFAULT +%d readahead hits +%d", s.vmEvents[PGMAJFAULT]-maj, s.swap.readaheadHits-hits)
		}
		// Let the last reads complete: free_swap_and_cache only trylocks,
		// so a page still locked for its read would stay in the swap
		// cache (holding its slot) until reclaim finds it.
		s.current().Sleep(n * testSwapLatency)
		s.Mmput(m)
		if s.totalSwapcachePages() != 0 || s.NrSwapPages() != s.TotalSwapPages() {
			t.Fatalf("after exit: swap cache %d nr_swap_pages %d", s.totalSwapcachePages(), s.NrSwapPages())
		}
	})
	sm.check(t)
}

// TestSwapFullFailsAddToSwap checks get_swap_page() when the area is
// full: add_to_swap fails and the page stays mapped; a freed slot makes
// the area available again (swap_entry_free's was_full case).
func TestSwapFullFailsAddToSwap(t *testing.T) {
	sm := bootSwap(t, 3*PAGE_SIZE) // header and two slots
	s := sm.s
	sm.run(t, func() {
		m, _ := s.NewMM()
		addr, _ := s.MmapAnon(m, 3*PAGE_SIZE, true)
		for i := uint64(0); i < 3; i++ {
			s.UserAccess(m, addr+i*PAGE_SIZE, true, 9+i)
		}
		for i := uint64(0); i < 2; i++ {
			_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
			if !s.ReclaimPage(pfn) {
				t.Fatalf("ReclaimPage %d failed", i)
			}
		}
		if s.NrSwapPages() != 0 || len(s.swap.avail) != 0 {
			t.Fatalf("full swap: nr %d avail %d", s.NrSwapPages(), len(s.swap.avail))
		}
		_, pfn := ptePFN(t, m, addr+2*PAGE_SIZE)
		if s.ReclaimPage(pfn) {
			t.Fatal("page reclaimed with swap full")
		}
		if _, p := ptePFN(t, m, addr+2*PAGE_SIZE); p != pfn {
			t.Fatal("page lost its mapping")
		}
		checkInv(t, s)
		s.Munmap(m, addr, PAGE_SIZE)
		if s.NrSwapPages() != 1 || len(s.swap.avail) != 1 {
			t.Fatalf("after freeing a slot: nr %d avail %d", s.NrSwapPages(), len(s.swap.avail))
		}
		if !s.ReclaimPage(pfn) {
			t.Fatal("ReclaimPage failed with a free slot")
		}
		if got, _ := s.UserAccess(m, addr+2*PAGE_SIZE, false, 0); got != 11 {
			t.Fatalf("read %#x", got)
		}
		s.Mmput(m)
	})
	sm.check(t)
}

// TestMeminfoSwap checks /proc/meminfo's swap lines (SwapTotal and
// SwapFree from total_swap_pages and nr_swap_pages, SwapCached from the
// swap cache's pages) and /proc/swaps (swap_show: a slot held only by the
// swap cache is in use).
func TestMeminfoSwap(t *testing.T) {
	sm := bootSwap(t, 8<<20)
	s := sm.s
	sm.run(t, func() {
		m, _ := s.NewMM()
		addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
		s.UserAccess(m, addr, true, 5)
		_, pfn := ptePFN(t, m, addr)
		s.ReclaimPage(pfn)
		s.UserAccess(m, addr, false, 0) // back in, still in the swap cache
		out, _ := s.ReadProc("/proc/meminfo")
		for _, want := range []string{"SwapCached:            4 kB", "SwapTotal:          8188 kB", "SwapFree:           8184 kB"} {
			if !containsAny(out, want) {
				t.Fatalf("meminfo lacks %q:\n%s", want, out)
			}
		}
		swaps, _ := s.ReadProc("/proc/swaps")
		want := "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/testswap" + strings.Repeat(" ", 27) + "partition\t8188\t4\t-1\n"
		if swaps != want {
			t.Fatalf("/proc/swaps:\n%q\nwant\n%q", swaps, want)
		}
		s.Mmput(m)
	})
	sm.check(t)
}

// BenchmarkFaultSwapIn measures a fault that swaps a page in: each
// iteration pushes the page out (ReclaimPage: add_to_swap, try_to_unmap,
// swap_writepage, __remove_mapping) and reads it back through
// do_swap_page, one device read.
func BenchmarkFaultSwapIn(b *testing.B) {
	sm := bootSwap(b, 64<<20)
	s := sm.s
	sm.dev.lat = 0
	var m *MMStruct
	var addr uint64
	sm.run(b, func() {
		m, _ = s.NewMM()
		addr, _ = s.MmapAnon(m, PAGE_SIZE, true)
		s.UserAccess(m, addr, true, 1)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			pfn, ok := s.FollowPage(m, addr)
			if !ok || !s.ReclaimPage(pfn) {
				b.Fatal("reclaim failed")
			}
			if got, err := s.UserAccess(m, addr, true, uint64(i)); err != nil || got != uint64(i) {
				b.Fatalf("swap-in: %#x %v", got, err)
			}
		}
		b.StopTimer()
		s.Mmput(m)
	})
	sm.check(b)
}

// TestSwapoffWalksMmlist checks v3.16's init_mm.mmlist: an mm joins it at
// the head when try_to_unmap_one gives it its first swap entry, a child
// right after its parent when copy_one_pte copies a swap entry at fork,
// and try_to_unuse searches it from start_mm around the circle (starting
// at the mm the previous entry was freed from), never visiting an mm that
// never had a swap entry; a successful swapoff drains it (drain_mmlist).
func TestSwapoffWalksMmlist(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	sm.run(t, func() {
		mA, _ := s.NewMM()
		mC, _ := s.NewMM()
		mB, _ := s.NewMM()
		page := func(m *MMStruct, tok uint64) uint64 {
			a, _ := s.MmapAnon(m, PAGE_SIZE, true)
			s.UserAccess(m, a, true, tok)
			return a
		}
		aA, _, aB := page(mA, 1), page(mC, 2), page(mB, 3)
		for _, x := range []struct {
			m *MMStruct
			a uint64
		}{{mB, aB}, {mA, aA}} {
			if pfn, ok := s.FollowPage(x.m, x.a); !ok || !s.ReclaimPage(pfn) {
				t.Fatal("ReclaimPage failed")
			}
		}
		mA2, err := s.DupMM(mA) // copies A's swap entry: joins after A
		if err != nil {
			t.Fatal(err)
		}
		want := []*MMStruct{mA, mA2, mB}
		if !slices.Equal(s.mmlist, want) || mC.onMMList {
			t.Fatalf("mmlist %v, want A, A2, B (ids %d %d %d), C (%d) not on it", mmIDs(s.mmlist), mA.ID, mA2.ID, mB.ID, mC.ID)
		}
		var seen []*MMStruct
		s.unuseMMSeen = func(m *MMStruct) { seen = append(seen, m) }
		if err := s.SwapOff(sm.dev); err != nil {
			t.Fatal(err)
		}
		// B's slot (allocated first): from init_mm, A, A2, then B frees
		// it and becomes start_mm. A's slot: start_mm B first, then
		// round through init_mm to A and A2.
		want = []*MMStruct{mA, mA2, mB, mB, mA, mA2}
		if !slices.Equal(seen, want) {
			t.Fatalf("unuse_mm visited %v, want %v", mmIDs(seen), mmIDs(want))
		}
		if len(s.mmlist) != 0 || mA.onMMList || mB.onMMList || mA2.onMMList {
			t.Fatalf("mmlist %v after swapoff, want drained", mmIDs(s.mmlist))
		}
		for _, m := range []*MMStruct{mA, mA2, mB, mC} {
			if m.mmUsers != 1 {
				t.Fatalf("mm %d: mm_users %d after swapoff, want 1", m.ID, m.mmUsers)
			}
			s.Mmput(m)
		}
	})
	sm.check(t)
}

func mmIDs(ms []*MMStruct) []int {
	var ids []int
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

// TestSwapoffFatalSignal checks v3.16 mm/swapfile.c try_to_unuse: a
// signal pending stops it before the next slot with -EINTR, and swapoff
// puts the area back (reinsert_swap_info), its slots still in use.
func TestSwapoffFatalSignal(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	var m *MMStruct
	sm.run(t, func() {
		m, _ = s.NewMM()
		a, _ := s.MmapAnon(m, PAGE_SIZE, true)
		s.UserAccess(m, a, true, 7)
		if pfn, ok := s.FollowPage(m, a); !ok || !s.ReclaimPage(pfn) {
			t.Fatal("ReclaimPage failed")
		}
		total := s.TotalSwapPages()
		s.SendSigkill(s.current())
		if err := s.SwapOff(sm.dev); err != EINTR {
			t.Fatalf("swapoff with SIGKILL pending: %v, want EINTR", err)
		}
		if s.TotalSwapPages() != total || m.RSS(MM_SWAPENTS) != 1 {
			t.Fatalf("after the interrupted swapoff: total_swap_pages %d (was %d), swapents %d", s.TotalSwapPages(), total, m.RSS(MM_SWAPENTS))
		}
		checkInv(t, s)
		s.Mmput(m)
	})
	sm.check(t)
}

// TestSwapoffHoldsExitingMM checks try_to_unuse's references on the mms
// it visits (v3.16 mm/swapfile.c): an mm whose owner exits while swapoff
// holds it as start_mm is not torn down by the owner's mmput; swapoff,
// finding itself the last user (mm_users == 1), drops it, and its own
// mmput then runs exit_mmap and takes it off the mmlist.
func TestSwapoffHoldsExitingMM(t *testing.T) {
	sm := bootSwap(t, 16<<20)
	s := sm.s
	var mA, mB *MMStruct
	var swapoffErr error
	done := false
	sm.sched.Spawn("setup+swapoff", 0, func(tk *sim.Task) {
		mA, _ = s.NewMM()
		mB, _ = s.NewMM()
		for _, m := range []*MMStruct{mA, mB} {
			a, _ := s.MmapAnon(m, PAGE_SIZE, true)
			s.UserAccess(m, a, true, uint64(m.ID))
			if pfn, ok := s.FollowPage(m, a); !ok || !s.ReclaimPage(pfn) {
				t.Error("ReclaimPage failed")
				return
			}
		}
		swapoffErr = s.SwapOff(sm.dev)
		done = true
	})
	sm.sched.Spawn("owner of A", 0, func(tk *sim.Task) {
		// Swapoff frees A's slot first (A's page went out first), makes
		// A its start_mm and sleeps reading B's slot: A's owner exits.
		for s.swap.info[0].flags&SWP_WRITEOK != 0 || mA.mmUsers < 2 {
			tk.Sleep(testSwapLatency / 10)
		}
		s.Mmput(mA)
		if mA.mmUsers != 1 || !mA.onMMList || mA.vmas == nil {
			t.Errorf("the owner's mmput tore down an mm swapoff holds (mm_users %d, on mmlist %v)", mA.mmUsers, mA.onMMList)
		}
	})
	if err := sm.sched.Run(); err != nil {
		t.Fatalf("%v\n%s", err, sm.log.String())
	}
	if !done || swapoffErr != nil {
		t.Fatalf("swapoff: done %v, %v", done, swapoffErr)
	}
	if mA.mmUsers != 0 || mA.onMMList || slices.Contains(s.mmList, mA) {
		t.Fatalf("swapoff's mmput did not tear down the exited mm (mm_users %d, on mmlist %v)", mA.mmUsers, mA.onMMList)
	}
	if mB.mmUsers != 1 || mB.RSS(MM_ANONPAGES) != 1 {
		t.Fatalf("B: mm_users %d, anon rss %d", mB.mmUsers, mB.RSS(MM_ANONPAGES))
	}
	s.Mmput(mB)
	sm.check(t)
}
