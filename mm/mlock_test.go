// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"strings"
	"testing"
)

// nrMlock is NR_MLOCK summed over the zones, per-CPU deltas included.
func nrMlock(s *System) int64 {
	var n int64
	for _, z := range s.zones {
		if z.populatedZone() {
			n += z.zonePageStateSnapshot(NR_MLOCK)
		}
	}
	return n
}

// events snapshots the unevictable_pgs_* counters.
type unevEvents struct{ mlocked, munlocked, cleared, stranded, culled, rescued uint64 }

func unev(s *System) unevEvents {
	return unevEvents{
		s.VMEvent(UNEVICTABLE_PGMLOCKED), s.VMEvent(UNEVICTABLE_PGMUNLOCKED),
		s.VMEvent(UNEVICTABLE_PGCLEARED), s.VMEvent(UNEVICTABLE_PGSTRANDED),
		s.VMEvent(UNEVICTABLE_PGCULLED), s.VMEvent(UNEVICTABLE_PGRESCUED),
	}
}

func (a unevEvents) sub(b unevEvents) unevEvents {
	return unevEvents{a.mlocked - b.mlocked, a.munlocked - b.munlocked, a.cleared - b.cleared,
		a.stranded - b.stranded, a.culled - b.culled, a.rescued - b.rescued}
}

// wantMlocked checks that pfn is mlocked the way a page of a VM_LOCKED VMA
// is after mlock: PG_mlocked, PG_unevictable, on the unevictable list, held
// only by its PTEs.
func wantMlocked(t *testing.T, s *System, pfn uint64) {
	t.Helper()
	p := s.Page(pfn)
	if !p.PageMlocked() || !p.PageUnevictable() || !p.PageLRU() || p.pageLRU() != LRU_UNEVICTABLE || p.PageActive() {
		t.Fatalf("pfn %#x: mlocked %v unevictable %v lru %v active %v, want on the unevictable list", pfn, p.PageMlocked(), p.PageUnevictable(), p.PageLRU(), p.PageActive())
	}
	if p.Count() != p.Mapcount() {
		t.Fatalf("pfn %#x: _count %d mapcount %d, want no reference but the PTEs'", pfn, p.Count(), p.Mapcount())
	}
}

func vmaAt(t *testing.T, m *MMStruct, addr uint64) *VMArea {
	t.Helper()
	v := m.findVMA(addr)
	if v == nil || v.Start > addr {
		t.Fatalf("no VMA at %#x", addr)
	}
	return v
}

// TestMlockMovesPagesToUnevictable checks sys_mlock(): it sets VM_LOCKED
// and locked_vm, faults in every page of a writable private VMA with write
// faults (so untouched pages get pages of their own, not the zero page),
// and leaves every page PG_mlocked on the unevictable list, counted in
// NR_MLOCK. Pages already present are mlocked by follow_page's
// mlock_vma_page (unevictable_pgs_mlocked, and culled as putback_lru_page
// moves them); pages faulted in the VM_LOCKED VMA go straight to the
// unevictable list from page_add_new_anon_rmap (mlocked, not culled).
func TestMlockMovesPagesToUnevictable(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 4*PAGE_SIZE, true)
	s.UserAccess(m, addr, true, 1)
	s.UserAccess(m, addr+PAGE_SIZE, true, 2)
	s.UserAccess(m, addr+2*PAGE_SIZE, false, 0) // the zero page
	before, faults := unev(s), s.VMEvent(PGFAULT)

	if err := s.Mlock(m, addr, 4*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	v := vmaAt(t, m, addr)
	if v.Flags&VM_LOCKED == 0 || v.Start != addr || v.End != addr+4*PAGE_SIZE || m.lockedVM != 4 {
		t.Fatalf("VMA [%#x,%#x) flags %#x locked_vm %d", v.Start, v.End, v.Flags, m.lockedVM)
	}
	for i := uint64(0); i < 4; i++ {
		_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
		if pfn == s.zeroPFN() {
			t.Fatalf("page %d still maps the zero page: mlock must break COW with a write fault", i)
		}
		wantMlocked(t, s, pfn)
	}
	if got, _ := s.UserAccess(m, addr+PAGE_SIZE, false, 0); got != 2 {
		t.Fatalf("data %d after mlock, want 2", got)
	}
	if n := nrMlock(s); n != 4 {
		t.Fatalf("NR_MLOCK %d, want 4", n)
	}
	d := unev(s).sub(before)
	if d != (unevEvents{mlocked: 4, culled: 2}) {
		t.Fatalf("events %+v, want 4 mlocked and 2 culled", d)
	}
	// Page 2 (zero page, COW) and page 3 (none) fault; 0 and 1 do not.
	if f := s.VMEvent(PGFAULT) - faults; f != 2 {
		t.Fatalf("%d faults, want 2", f)
	}
	checkInv(t, s)
}

// TestMlockSplitsVMA checks mlock_fixup(): locking part of a VMA splits it
// so that exactly [start, end) is VM_LOCKED, and only that part is
// populated. An unaligned start is rounded down and the length grown to
// cover the same bytes.
func TestMlockSplitsVMA(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 8*PAGE_SIZE, true)
	if err := s.Mlock(m, addr+2*PAGE_SIZE+100, 2*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	// [2*PAGE_SIZE+100, 4*PAGE_SIZE+100) covers pages 2, 3 and 4.
	if len(m.vmas) != 3 {
		t.Fatalf("%d VMAs, want 3", len(m.vmas))
	}
	want := []struct {
		lo, hi uint64
		locked bool
	}{{0, 2, false}, {2, 5, true}, {5, 8, false}}
	for i, w := range want {
		v := m.vmas[i]
		if v.Start != addr+w.lo*PAGE_SIZE || v.End != addr+w.hi*PAGE_SIZE || (v.Flags&VM_LOCKED != 0) != w.locked || v.Pgoff != v.Start>>PAGE_SHIFT {
			t.Fatalf("VMA %d [%#x,%#x) pgoff %#x flags %#x, want pages [%d,%d) locked %v", i, v.Start, v.End, v.Pgoff, v.Flags, w.lo, w.hi, w.locked)
		}
	}
	if m.lockedVM != 3 {
		t.Fatalf("locked_vm %d, want 3", m.lockedVM)
	}
	for i := uint64(0); i < 8; i++ {
		e := m.pteOffset(addr + i*PAGE_SIZE)
		present := e != nil && e.present()
		if present != (i >= 2 && i < 5) {
			t.Fatalf("page %d present %v", i, present)
		}
		if present {
			wantMlocked(t, s, e.pfn())
		}
	}
	// Locking it again changes nothing and counts nothing.
	if err := s.Mlock(m, addr+2*PAGE_SIZE, 3*PAGE_SIZE); err != nil || m.lockedVM != 3 || len(m.vmas) != 3 {
		t.Fatalf("relock: %v, locked_vm %d, %d VMAs", err, m.lockedVM, len(m.vmas))
	}
	checkInv(t, s)
}

// TestMunlockRescues checks munlock_vma_pages_range() and
// __munlock_pagevec(): munlock clears VM_LOCKED and locked_vm, and every
// page, mapped once, takes the fast path: PG_mlocked and PG_unevictable
// cleared, straight onto the inactive anon list (not through the per-CPU
// pagevec), NR_MLOCK back to 0, counted as munlocked and rescued, with no
// reference left but its PTE's.
func TestMunlockRescues(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 4*PAGE_SIZE, true)
	if err := s.Mlock(m, addr, 4*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	before := unev(s)
	if err := s.Munlock(m, addr, 4*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	v := vmaAt(t, m, addr)
	if v.Flags&VM_LOCKED != 0 || m.lockedVM != 0 {
		t.Fatalf("flags %#x locked_vm %d after munlock", v.Flags, m.lockedVM)
	}
	for i := uint64(0); i < 4; i++ {
		_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
		p := s.Page(pfn)
		if p.PageMlocked() || p.PageUnevictable() || !p.PageLRU() || p.pageLRU() != LRU_INACTIVE_ANON || p.Count() != 1 {
			t.Fatalf("page %d: mlocked %v unevictable %v lru %v list %s count %d", i, p.PageMlocked(), p.PageUnevictable(), p.PageLRU(), lruNames[p.pageLRU()], p.Count())
		}
	}
	if n := nrMlock(s); n != 0 {
		t.Fatalf("NR_MLOCK %d after munlock", n)
	}
	if d := unev(s).sub(before); d != (unevEvents{munlocked: 4, rescued: 4}) {
		t.Fatalf("events %+v, want 4 munlocked and 4 rescued", d)
	}
	// munlock of a range that is not locked is a no-op.
	if err := s.Munlock(m, addr, 4*PAGE_SIZE); err != nil || unev(s).sub(before).munlocked != 4 {
		t.Fatalf("second munlock: %v", err)
	}
	checkInv(t, s)
}

// TestMunmapLockedRange checks do_munmap(): VM_LOCKED VMAs in the range are
// munlocked (munlock_vma_pages_all, counted munlocked, not cleared) and
// taken out of locked_vm before their pages are unmapped and freed; the
// rest of the VMA stays locked. exit_mmap munlocks the rest the same way.
func TestMunmapLockedRange(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 4*PAGE_SIZE, true)
	if err := s.Mlock(m, addr, 4*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	_, gone := ptePFN(t, m, addr+2*PAGE_SIZE)
	before, free := unev(s), freeNow(s)
	if err := s.Munmap(m, addr+2*PAGE_SIZE, 2*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	if d := unev(s).sub(before); d != (unevEvents{munlocked: 2, rescued: 2}) {
		t.Fatalf("munmap events %+v, want 2 munlocked and 2 rescued (munlock before unmap, nothing cleared)", d)
	}
	if m.lockedVM != 2 || nrMlock(s) != 2 {
		t.Fatalf("locked_vm %d NR_MLOCK %d, want 2 and 2", m.lockedVM, nrMlock(s))
	}
	if p := s.Page(gone); p.Count() != 0 || p.PageMlocked() || p.PageLRU() {
		t.Fatalf("unmapped page not freed clean: count %d flags %s", p.Count(), FlagNames(p.Flags()))
	}
	if got := freeNow(s) - free; got != 2 {
		t.Fatalf("munmap freed %d pages, want 2", got)
	}
	checkInv(t, s)

	before = unev(s)
	s.Mmput(m)
	if d := unev(s).sub(before); d != (unevEvents{munlocked: 2, rescued: 2}) {
		t.Fatalf("exit events %+v, want 2 munlocked and 2 rescued", d)
	}
	if nrMlock(s) != 0 {
		t.Fatalf("NR_MLOCK %d after exit", nrMlock(s))
	}
	checkInv(t, s)
}

// TestForkDoesNotInheritMlock checks dup_mmap() and do_wp_page() with
// mlock: the child's VMA is not VM_LOCKED and its locked_vm is 0; a COW
// write by the child gives it an evictable copy (active anon, through the
// lru_add pagevec), while the parent's page stays mlocked.
func TestForkDoesNotInheritMlock(t *testing.T) {
	s := bootSmall(t)
	parent, _ := s.NewMM()
	addr, _ := s.MmapAnon(parent, PAGE_SIZE, true)
	s.UserAccess(parent, addr, true, 7)
	s.Mlock(parent, addr, PAGE_SIZE)
	_, orig := ptePFN(t, parent, addr)

	child, err := s.DupMM(parent)
	if err != nil {
		t.Fatal(err)
	}
	if cv := vmaAt(t, child, addr); cv.Flags&VM_LOCKED != 0 || child.lockedVM != 0 {
		t.Fatalf("child VMA flags %#x locked_vm %d: VM_LOCKED must not be inherited", cv.Flags, child.lockedVM)
	}
	checkInv(t, s)
	if _, err := s.UserAccess(child, addr, true, 8); err != nil {
		t.Fatal(err)
	}
	_, copyPFN := ptePFN(t, child, addr)
	c := s.Page(copyPFN)
	if copyPFN == orig || c.PageMlocked() || c.PageUnevictable() || !c.PageActive() || c.PageLRU() {
		t.Fatalf("child's copy pfn %#x (orig %#x): mlocked %v unevictable %v active %v lru %v", copyPFN, orig, c.PageMlocked(), c.PageUnevictable(), c.PageActive(), c.PageLRU())
	}
	s.LRUAddDrain()
	if c.pageLRU() != LRU_ACTIVE_ANON {
		t.Fatalf("child's copy on %s", lruNames[c.pageLRU()])
	}
	wantMlocked(t, s, orig)
	if nrMlock(s) != 1 {
		t.Fatalf("NR_MLOCK %d, want 1", nrMlock(s))
	}
	if got, _ := s.UserAccess(parent, addr, false, 0); got != 7 {
		t.Fatalf("parent reads %d, want 7", got)
	}
	checkInv(t, s)
}

// TestParentCOWMunlocksOldPage checks do_wp_page()'s munlock: when the
// mlocked parent writes a page it shares with its child, the parent's new
// copy is mlocked (straight to the unevictable list), and the old page,
// now mapped only by the child's unlocked VMA, is munlocked
// (munlock_vma_page: one mapping left, so no try_to_munlock) and put back
// evictable through the lru_add pagevec: munlocked and rescued.
func TestParentCOWMunlocksOldPage(t *testing.T) {
	s := bootSmall(t)
	parent, _ := s.NewMM()
	addr, _ := s.MmapAnon(parent, PAGE_SIZE, true)
	s.UserAccess(parent, addr, true, 7)
	s.Mlock(parent, addr, PAGE_SIZE)
	_, old := ptePFN(t, parent, addr)
	child, _ := s.DupMM(parent)
	before := unev(s)
	if _, err := s.UserAccess(parent, addr, true, 9); err != nil {
		t.Fatal(err)
	}
	_, nw := ptePFN(t, parent, addr)
	if nw == old {
		t.Fatal("parent write did not copy")
	}
	wantMlocked(t, s, nw)
	o := s.Page(old)
	if o.PageMlocked() || o.PageUnevictable() || o.PageLRU() || o.Mapcount() != 1 || o.Count() != 2 {
		t.Fatalf("old page: mlocked %v unevictable %v lru %v mapcount %d count %d, want in the lru_add pagevec", o.PageMlocked(), o.PageUnevictable(), o.PageLRU(), o.Mapcount(), o.Count())
	}
	if d := unev(s).sub(before); d != (unevEvents{mlocked: 1, munlocked: 1, rescued: 1}) {
		t.Fatalf("events %+v", d)
	}
	if nrMlock(s) != 1 {
		t.Fatalf("NR_MLOCK %d, want 1", nrMlock(s))
	}
	if got, _ := s.UserAccess(child, addr, false, 0); got != 7 {
		t.Fatalf("child reads %d, want 7", got)
	}
	checkInv(t, s)
	s.LRUAddDrain()
	if o.pageLRU() != LRU_INACTIVE_ANON {
		t.Fatalf("old page on %s after drain", lruNames[o.pageLRU()])
	}
	checkInv(t, s)
}

// TestMunlockSharedPage checks __munlock_isolated_page() and
// try_to_munlock(): a page mapped twice skips the fast path. If the other
// VMA is not VM_LOCKED the page is munlocked and goes back evictable
// through putback_lru_page (the lru_add pagevec); if the other VMA is
// VM_LOCKED, try_to_munlock re-mlocks it (SWAP_MLOCK): no munlock is
// counted and the page stays on the unevictable list.
func TestMunlockSharedPage(t *testing.T) {
	for _, otherLocked := range []bool{false, true} {
		s := bootSmall(t)
		parent, _ := s.NewMM()
		addr, _ := s.MmapAnon(parent, PAGE_SIZE, true)
		s.UserAccess(parent, addr, true, 7)
		s.Mlock(parent, addr, PAGE_SIZE)
		_, pfn := ptePFN(t, parent, addr)
		child, _ := s.DupMM(parent)
		if otherLocked {
			// Stands in for the child locking a read-only mapping (mlock
			// of a writable one would break COW): VM_LOCKED and locked_vm
			// as mlock_fixup sets them, the page already mlocked.
			cv := vmaAt(t, child, addr)
			cv.Flags |= VM_LOCKED
			child.lockedVM++
		}
		before, nr := unev(s), nrMlock(s)
		if err := s.Munlock(parent, addr, PAGE_SIZE); err != nil {
			t.Fatal(err)
		}
		p := s.Page(pfn)
		d := unev(s).sub(before)
		if otherLocked {
			wantMlocked(t, s, pfn)
			if d != (unevEvents{mlocked: 1}) || nrMlock(s) != nr {
				t.Fatalf("re-mlocked: events %+v NR_MLOCK %d, want only the re-mlock and NR_MLOCK %d", d, nrMlock(s), nr)
			}
		} else {
			if p.PageMlocked() || p.PageUnevictable() || p.PageLRU() || p.Count() != 3 {
				t.Fatalf("munlocked shared page: mlocked %v unevictable %v lru %v count %d, want in the lru_add pagevec", p.PageMlocked(), p.PageUnevictable(), p.PageLRU(), p.Count())
			}
			if d != (unevEvents{munlocked: 1, rescued: 1}) || nrMlock(s) != nr-1 {
				t.Fatalf("events %+v NR_MLOCK %d", d, nrMlock(s))
			}
		}
		checkInv(t, s)
	}
}

// TestMmapLocked checks MAP_LOCKED: mmap_region counts the VMA in
// locked_vm and vm_mmap_pgoff populates and mlocks it; MAP_POPULATE alone
// populates (with write faults in a writable private mapping) without
// mlocking, and with MAP_NONBLOCK does not populate.
func TestMmapLocked(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, err := s.MmapAnonFlags(m, 3*PAGE_SIZE, true, MAP_LOCKED)
	if err != nil {
		t.Fatal(err)
	}
	if m.lockedVM != 3 || vmaAt(t, m, addr).Flags&VM_LOCKED == 0 {
		t.Fatalf("locked_vm %d", m.lockedVM)
	}
	for i := uint64(0); i < 3; i++ {
		_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
		wantMlocked(t, s, pfn)
	}
	pop, _ := s.MmapAnonFlags(m, 2*PAGE_SIZE, true, MAP_POPULATE)
	for i := uint64(0); i < 2; i++ {
		_, pfn := ptePFN(t, m, pop+i*PAGE_SIZE)
		if p := s.Page(pfn); pfn == s.zeroPFN() || p.PageMlocked() || !p.PageActive() {
			t.Fatalf("MAP_POPULATE page %d: pfn %#x mlocked %v", i, pfn, p.PageMlocked())
		}
	}
	nb, _ := s.MmapAnonFlags(m, PAGE_SIZE, true, MAP_POPULATE|MAP_NONBLOCK)
	if e := m.pteOffset(nb); e != nil && e.present() {
		t.Fatal("MAP_POPULATE|MAP_NONBLOCK populated")
	}
	if m.lockedVM != 3 || nrMlock(s) != 3 {
		t.Fatalf("locked_vm %d NR_MLOCK %d", m.lockedVM, nrMlock(s))
	}
	checkInv(t, s)
}

// TestMlockErrors checks do_mlock()'s errnos: a range starting in a hole is
// ENOMEM; a range with a hole after a VMA is ENOMEM too, but as in v3.16
// the VMA before the hole is left VM_LOCKED (and in locked_vm) without
// being populated, since __mm_populate runs only on success; a range whose
// end wraps is EINVAL; an empty range succeeds. munlock has the same checks.
func TestMlockErrors(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	a, _ := s.MmapAnon(m, 2*PAGE_SIZE, true)
	b, _ := s.MmapAnon(m, 2*PAGE_SIZE, true) // just below a
	s.Munmap(m, b+PAGE_SIZE, PAGE_SIZE)      // a one-page hole before a
	if err := s.Mlock(m, b+PAGE_SIZE, PAGE_SIZE); err != ENOMEM {
		t.Fatalf("mlock of a hole: %v, want ENOMEM", err)
	}
	if err := s.Mlock(m, b, 4*PAGE_SIZE); err != ENOMEM {
		t.Fatalf("mlock across a hole: %v, want ENOMEM", err)
	}
	bv := vmaAt(t, m, b)
	if bv.Flags&VM_LOCKED == 0 || m.lockedVM != 1 {
		t.Fatalf("VMA before the hole: flags %#x locked_vm %d, want left VM_LOCKED and counted", bv.Flags, m.lockedVM)
	}
	if e := m.pteOffset(b); e != nil && e.present() {
		t.Fatal("a failed mlock populated")
	}
	if av := vmaAt(t, m, a); av.Flags&VM_LOCKED != 0 {
		t.Fatal("VMA after the hole locked")
	}
	if err := s.Mlock(m, a, ^uint64(PAGE_SIZE-1)); err != EINVAL {
		t.Fatalf("wrapping mlock: %v, want EINVAL", err)
	}
	if err := s.Mlock(m, a, 0); err != nil {
		t.Fatalf("empty mlock: %v", err)
	}
	if err := s.Munlock(m, b, 4*PAGE_SIZE); err != ENOMEM || m.lockedVM != 0 {
		t.Fatalf("munlock across a hole: %v, locked_vm %d", err, m.lockedVM)
	}
	checkInv(t, s)
}

// TestMunlockIsolationFailedLeaksNRMlock reproduces v3.16's NR_MLOCK leak
// in __munlock_pagevec(): when munlock finds an mlocked page isolated by
// someone else (here as compaction or reclaim would hold it), it clears
// PG_mlocked and counts the page stranded, but does not subtract it from
// NR_MLOCK. The invariant checker reports the drift.
func TestMunlockIsolationFailedLeaksNRMlock(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
	s.Mlock(m, addr, PAGE_SIZE)
	_, pfn := ptePFN(t, m, addr)
	if !s.isolateLRUPage(pfn) {
		t.Fatal("isolate failed")
	}
	before := unev(s)
	s.Munlock(m, addr, PAGE_SIZE)
	p := s.Page(pfn)
	if p.PageMlocked() || !p.PageUnevictable() {
		t.Fatalf("mlocked %v unevictable %v", p.PageMlocked(), p.PageUnevictable())
	}
	if d := unev(s).sub(before); d != (unevEvents{stranded: 1}) {
		t.Fatalf("events %+v, want 1 stranded", d)
	}
	if nrMlock(s) != 1 {
		t.Fatalf("NR_MLOCK %d, want the v3.16 leak: 1", nrMlock(s))
	}
	// The isolator puts it back: evictable now, so rescued.
	s.putbackLRUPage(pfn)
	if p.PageUnevictable() || s.VMEvent(UNEVICTABLE_PGRESCUED) != before.rescued+1 {
		t.Fatalf("putback: unevictable %v", p.PageUnevictable())
	}
	errs := s.CheckInvariants()
	if len(errs) != 1 || !strings.Contains(errs[0], "NR_MLOCK 1 but 0 pages have PG_mlocked") {
		t.Fatalf("invariants %q, want exactly the NR_MLOCK drift", errs)
	}
}

// TestMunlockBatches checks munlock_vma_pages_range()'s batching: pages are
// pinned and munlocked a pagevec (14) at a time, and every page is
// munlocked exactly once.
func TestMunlockBatches(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	const n = 40
	addr, _ := s.MmapAnon(m, n*PAGE_SIZE, true)
	if err := s.Mlock(m, addr, n*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	if nrMlock(s) != n {
		t.Fatalf("NR_MLOCK %d, want %d", nrMlock(s), n)
	}
	before := unev(s)
	if err := s.Munlock(m, addr, n*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	if d := unev(s).sub(before); d != (unevEvents{munlocked: n, rescued: n}) {
		t.Fatalf("events %+v, want %d munlocked and rescued", d, n)
	}
	if nrMlock(s) != 0 {
		t.Fatalf("NR_MLOCK %d", nrMlock(s))
	}
	checkInv(t, s)
}

// TestMlockReadOnlyMapsZeroPage checks __mlock_vma_pages_range() on a
// read-only private VMA: no FOLL_WRITE, so read faults map the zero page,
// which follow_page does not mlock (it has no mapping); locked_vm still
// counts the VMA. munlock's FOLL_DUMP lookup skips the zero page.
func TestMlockReadOnlyMapsZeroPage(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 2*PAGE_SIZE, false)
	before := unev(s)
	if err := s.Mlock(m, addr, 2*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	for i := uint64(0); i < 2; i++ {
		if _, pfn := ptePFN(t, m, addr+i*PAGE_SIZE); pfn != s.zeroPFN() {
			t.Fatalf("page %d maps pfn %#x, want the zero page", i, pfn)
		}
	}
	if m.lockedVM != 2 || nrMlock(s) != 0 || unev(s) != before {
		t.Fatalf("locked_vm %d NR_MLOCK %d events %+v", m.lockedVM, nrMlock(s), unev(s).sub(before))
	}
	if err := s.Munlock(m, addr, 2*PAGE_SIZE); err != nil || unev(s) != before || m.lockedVM != 0 {
		t.Fatalf("munlock: %v events %+v", err, unev(s).sub(before))
	}
	checkInv(t, s)
}
