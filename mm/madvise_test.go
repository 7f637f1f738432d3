// SPDX-License-Identifier: GPL-2.0-only

package mm

import "testing"

// TestMadvDontneedFreesPages checks madvise_dontneed() -> zap_page_range():
// after lru_add_drain the PTEs are cleared, rss drops, and the pages whose
// last reference was the PTE are freed through the mmu_gather; a later read
// maps the zero page and a later write gets a new zeroed page. A page also
// mapped by a forked child survives with the child's mapping.
func TestMadvDontneedFreesPages(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 4*PAGE_SIZE, true)
	for i := uint64(0); i < 4; i++ {
		s.UserAccess(m, addr+i*PAGE_SIZE, true, 10+i)
	}
	// Pages 0..3 sit in the lru_add pagevec; zap_page_range drains it
	// first, so the PTE holds the last reference.
	_, p0 := ptePFN(t, m, addr)
	free := freeNow(s)
	if err := s.Madvise(m, addr, 4*PAGE_SIZE, MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if got := freeNow(s) - free; got != 4 {
		t.Fatalf("MADV_DONTNEED freed %d pages, want 4", got)
	}
	if pg := s.Page(p0); pg.Count() != 0 || pg.PageLRU() || pg.Mapcount() != 0 {
		t.Fatalf("zapped page: count %d lru %v mapcount %d", pg.Count(), pg.PageLRU(), pg.Mapcount())
	}
	if m.rss[MM_ANONPAGES] != 0 {
		t.Fatalf("rss %d after MADV_DONTNEED", m.rss[MM_ANONPAGES])
	}
	if e := m.pteOffset(addr); e == nil || !e.none() {
		t.Fatal("PTE not cleared")
	}
	if len(m.vmas) != 1 {
		t.Fatalf("MADV_DONTNEED changed the VMAs: %d", len(m.vmas))
	}
	if got, err := s.UserAccess(m, addr, false, 0); err != nil || got != 0 {
		t.Fatalf("read after MADV_DONTNEED = %d, %v; want zeroes", got, err)
	}
	if _, pfn := ptePFN(t, m, addr); pfn != s.zeroPFN() {
		t.Fatalf("read maps pfn %#x, want the zero page", pfn)
	}
	s.UserAccess(m, addr+PAGE_SIZE, true, 99)
	if got, _ := s.UserAccess(m, addr+PAGE_SIZE, false, 0); got != 99 {
		t.Fatalf("write after MADV_DONTNEED reads %d", got)
	}
	checkInv(t, s)

	// A COW-shared page loses only this mapping.
	s.UserAccess(m, addr+2*PAGE_SIZE, true, 5)
	_, shared := ptePFN(t, m, addr+2*PAGE_SIZE)
	child, _ := s.DupMM(m)
	if err := s.Madvise(m, addr+2*PAGE_SIZE, PAGE_SIZE, MADV_DONTNEED); err != nil {
		t.Fatal(err)
	}
	if pg := s.Page(shared); pg.Mapcount() != 1 || pg.Count() != 1 {
		t.Fatalf("shared page: mapcount %d count %d, want the child's mapping only", pg.Mapcount(), pg.Count())
	}
	if got, _ := s.UserAccess(child, addr+2*PAGE_SIZE, false, 0); got != 5 {
		t.Fatalf("child reads %d, want 5", got)
	}
	checkInv(t, s)
}

// TestMadvDontneedLockedEINVAL checks that madvise_dontneed() refuses a
// VM_LOCKED VMA with EINVAL and leaves its pages mapped and mlocked; the
// VMAs before it in the range are already zapped (sys_madvise stops at the
// first error).
func TestMadvDontneedLockedEINVAL(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 4*PAGE_SIZE, true)
	s.UserAccess(m, addr, true, 1)
	if err := s.Mlock(m, addr+2*PAGE_SIZE, 2*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	if err := s.Madvise(m, addr, 4*PAGE_SIZE, MADV_DONTNEED); err != EINVAL {
		t.Fatalf("MADV_DONTNEED over a locked VMA: %v, want EINVAL", err)
	}
	if e := m.pteOffset(addr); e == nil || !e.none() {
		t.Fatal("unlocked VMA before the locked one was not zapped")
	}
	for i := uint64(2); i < 4; i++ {
		_, pfn := ptePFN(t, m, addr+i*PAGE_SIZE)
		wantMlocked(t, s, pfn)
	}
	checkInv(t, s)
}

// TestMadviseFlagsSplit checks madvise_behavior(): MADV_RANDOM,
// MADV_SEQUENTIAL and MADV_NORMAL set and clear VM_RAND_READ/VM_SEQ_READ on
// exactly the range, splitting the VMA; advice that changes nothing splits
// nothing. (v3.16 would merge the pieces back with vma_merge once their
// flags match again; the model does not merge.)
func TestMadviseFlagsSplit(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 8*PAGE_SIZE, true)
	base := vmaAt(t, m, addr).Flags
	if err := s.Madvise(m, addr, 8*PAGE_SIZE, MADV_NORMAL); err != nil || len(m.vmas) != 1 {
		t.Fatalf("no-op MADV_NORMAL: %v, %d VMAs", err, len(m.vmas))
	}
	if err := s.Madvise(m, addr+2*PAGE_SIZE, 2*PAGE_SIZE, MADV_RANDOM); err != nil {
		t.Fatal(err)
	}
	if len(m.vmas) != 3 {
		t.Fatalf("%d VMAs after MADV_RANDOM, want 3", len(m.vmas))
	}
	mid := vmaAt(t, m, addr+2*PAGE_SIZE)
	if mid.Start != addr+2*PAGE_SIZE || mid.End != addr+4*PAGE_SIZE || mid.Flags != base|VM_RAND_READ {
		t.Fatalf("middle VMA [%#x,%#x) flags %#x", mid.Start, mid.End, mid.Flags)
	}
	if vmaAt(t, m, addr).Flags != base || vmaAt(t, m, addr+4*PAGE_SIZE).Flags != base {
		t.Fatal("neighbours changed")
	}
	if err := s.Madvise(m, addr+2*PAGE_SIZE, 2*PAGE_SIZE, MADV_SEQUENTIAL); err != nil || mid.Flags != base|VM_SEQ_READ || len(m.vmas) != 3 {
		t.Fatalf("MADV_SEQUENTIAL: %v flags %#x %d VMAs", err, mid.Flags, len(m.vmas))
	}
	if err := s.Madvise(m, addr, 8*PAGE_SIZE, MADV_NORMAL); err != nil || mid.Flags != base || len(m.vmas) != 3 {
		t.Fatalf("MADV_NORMAL: %v flags %#x %d VMAs", err, mid.Flags, len(m.vmas))
	}
	checkInv(t, s)
}

// TestMadviseWillneedDrains checks madvise_willneed() for anonymous memory:
// with no swap entries there is nothing to read ahead, but
// force_swapin_readahead still ends with lru_add_drain, so pages waiting in
// this CPU's lru_add pagevec reach their LRU list.
func TestMadviseWillneedDrains(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
	s.UserAccess(m, addr, true, 1)
	_, pfn := ptePFN(t, m, addr)
	if s.Page(pfn).PageLRU() {
		t.Fatal("new page already on the LRU")
	}
	if err := s.Madvise(m, addr, PAGE_SIZE, MADV_WILLNEED); err != nil {
		t.Fatal(err)
	}
	if p := s.Page(pfn); !p.PageLRU() || p.Count() != 1 {
		t.Fatalf("after MADV_WILLNEED: lru %v count %d", p.PageLRU(), p.Count())
	}
	checkInv(t, s)
}

// TestMadviseDontfork checks MADV_DONTFORK/MADV_DOFORK: dup_mmap skips
// VM_DONTCOPY VMAs, and MADV_DOFORK copies them again.
func TestMadviseDontfork(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, PAGE_SIZE, true)
	s.UserAccess(m, addr, true, 3)
	s.Madvise(m, addr, PAGE_SIZE, MADV_DONTFORK)
	child, _ := s.DupMM(m)
	if len(child.vmas) != 0 || child.totalVM != 0 {
		t.Fatalf("child has %d VMAs, total_vm %d", len(child.vmas), child.totalVM)
	}
	if _, err := s.UserAccess(child, addr, false, 0); err != ErrSegv {
		t.Fatalf("child access: %v, want SIGSEGV", err)
	}
	s.Madvise(m, addr, PAGE_SIZE, MADV_DOFORK)
	child2, _ := s.DupMM(m)
	if got, _ := s.UserAccess(child2, addr, false, 0); got != 3 {
		t.Fatalf("child after MADV_DOFORK reads %d", got)
	}
	checkInv(t, s)
}

// TestMadviseErrnos checks sys_madvise()'s errnos and their order: invalid
// advice is EINVAL before anything else (MADV_MERGEABLE with CONFIG_KSM=n,
// MADV_HWPOISON with CONFIG_MEMORY_FAILURE=n, unknown values), then a
// misaligned start is EINVAL even where nothing is mapped, a length that
// rounds up past the top is EINVAL, an empty range succeeds even where
// nothing is mapped; then an unmapped range is ENOMEM, and a range with a
// hole applies the advice on both sides and returns ENOMEM at the end.
// MADV_REMOVE on anonymous memory is EINVAL; MADV_HUGEPAGE twice is EINVAL.
func TestMadviseErrnos(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	a, _ := s.MmapAnon(m, 2*PAGE_SIZE, true)
	b, _ := s.MmapAnon(m, 2*PAGE_SIZE, true)
	s.Munmap(m, b+PAGE_SIZE, PAGE_SIZE) // [b, b+P) hole [b+P, a) [a, a+2P)
	hole := b + PAGE_SIZE
	cases := []struct {
		name          string
		start, length uint64
		advice        int
		want          error
	}{
		{"unknown advice", a, PAGE_SIZE, 5, EINVAL},
		{"MADV_MERGEABLE without KSM", a, PAGE_SIZE, MADV_MERGEABLE, EINVAL},
		{"MADV_HWPOISON without MEMORY_FAILURE", a, PAGE_SIZE, MADV_HWPOISON, EINVAL},
		{"unknown advice on a hole, misaligned", hole + 1, PAGE_SIZE, -1, EINVAL},
		{"misaligned start on a hole", hole + 1, PAGE_SIZE, MADV_NORMAL, EINVAL},
		{"length rounding to zero", a, ^uint64(0) - 10, MADV_NORMAL, EINVAL},
		{"end wrapping", a, ^uint64(PAGE_SIZE - 1), MADV_NORMAL, EINVAL},
		{"empty range on a hole", hole, 0, MADV_DONTNEED, nil},
		{"hole", hole, PAGE_SIZE, MADV_NORMAL, ENOMEM},
		{"past the last VMA", a, 1 << 30, MADV_NORMAL, ENOMEM},
		{"MADV_REMOVE on anon", a, PAGE_SIZE, MADV_REMOVE, EINVAL},
	}
	for _, c := range cases {
		if err := s.Madvise(m, c.start, c.length, c.advice); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	// Across the hole: both sides get the advice, the call says ENOMEM.
	if err := s.Madvise(m, b, 4*PAGE_SIZE, MADV_RANDOM); err != ENOMEM {
		t.Fatalf("across a hole: %v, want ENOMEM", err)
	}
	if vmaAt(t, m, b).Flags&VM_RAND_READ == 0 || vmaAt(t, m, a).Flags&VM_RAND_READ == 0 {
		t.Fatal("advice not applied on both sides of the hole")
	}
	if err := s.Madvise(m, a, PAGE_SIZE, MADV_HUGEPAGE); err != nil {
		t.Fatal(err)
	}
	if err := s.Madvise(m, a, PAGE_SIZE, MADV_HUGEPAGE); err != EINVAL {
		t.Fatalf("second MADV_HUGEPAGE: %v, want EINVAL", err)
	}
	if v := vmaAt(t, m, a); v.Flags&VM_HUGEPAGE == 0 || v.End != a+PAGE_SIZE {
		t.Fatalf("MADV_HUGEPAGE: flags %#x end %#x", v.Flags, v.End)
	}
	checkInv(t, s)
}
