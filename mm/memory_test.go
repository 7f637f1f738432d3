// SPDX-License-Identifier: GPL-2.0-only

package mm

import "testing"

func bootSmall(t testing.TB) *System {
	t.Helper()
	s, err := Boot(Config{MemBytes: 256 << 20, Nodes: 1, CPUs: 2}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func checkInv(t testing.TB, s *System) {
	t.Helper()
	if errs := s.CheckInvariants(); len(errs) > 0 {
		t.Fatalf("invariants: %v", errs)
	}
}

// freeNow is every free page, buddy and pcp, with per-CPU deltas folded.
func freeNow(s *System) int64 {
	var n int64
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		n += z.zonePageStateSnapshot(NR_FREE_PAGES)
		for cpu := range z.pageset {
			n += int64(z.pageset[cpu].pcp.count)
		}
	}
	return n
}

func ptePFN(t testing.TB, m *MMStruct, addr uint64) (pte, uint64) {
	t.Helper()
	e := m.pteOffset(addr)
	if e == nil || !e.present() {
		t.Fatalf("no present PTE at %#x", addr)
	}
	return *e, e.pfn()
}

// TestAnonReadMapsZeroPage checks do_anonymous_page(): a read fault maps the
// shared zero page read-only and allocates no user page; the first write
// then goes through do_wp_page(), which gives the task a zeroed page of its
// own: PageAnon, PG_swapbacked, mapcount 1, on the way to the active anon
// LRU through this CPU's lru_add pagevec (which holds a reference until it
// drains).
func TestAnonReadMapsZeroPage(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, err := s.MmapAnon(m, 4*PAGE_SIZE, true)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserAccess(m, addr, false, 0); err != nil || got != 0 {
		t.Fatalf("read = %d, %v", got, err)
	}
	e, pfn := ptePFN(t, m, addr)
	if pfn != s.zeroPFN() || e.write() || !e.special() {
		t.Fatalf("read fault mapped pfn %#x write %v special %v, want the zero page read-only", pfn, e.write(), e.special())
	}
	if m.rss[MM_ANONPAGES] != 0 {
		t.Fatalf("zero-page mapping counted in rss")
	}
	if _, err := s.UserAccess(m, addr, true, 42); err != nil {
		t.Fatal(err)
	}
	e, pfn = ptePFN(t, m, addr)
	p := s.Page(pfn)
	if pfn == s.zeroPFN() || !e.write() || !e.dirty() {
		t.Fatalf("write fault left pfn %#x write %v dirty %v", pfn, e.write(), e.dirty())
	}
	if !p.PageAnon() || !p.PageSwapBacked() || p.Mapcount() != 1 || !p.PageActive() || p.PageLRU() {
		t.Fatalf("new anon page: anon %v swapbacked %v mapcount %d active %v lru %v", p.PageAnon(), p.PageSwapBacked(), p.Mapcount(), p.PageActive(), p.PageLRU())
	}
	if p.Count() != 2 {
		t.Fatalf("_count %d, want 2: the PTE and the lru_add pagevec", p.Count())
	}
	if got, _ := s.UserAccess(m, addr, false, 0); got != 42 {
		t.Fatalf("read back %d, want 42", got)
	}
	checkInv(t, s)
	s.LRUAddDrain()
	if !p.PageLRU() || p.Count() != 1 || p.pageLRU() != LRU_ACTIVE_ANON {
		t.Fatalf("after drain: lru %v count %d list %d", p.PageLRU(), p.Count(), p.pageLRU())
	}
	checkInv(t, s)
}

// TestForkCOW checks copy_page_range()/copy_one_pte() and do_wp_page():
// after fork an anon page has mapcount 2 and is write-protected in both
// address spaces; a write by one gives the writer its own copy and leaves
// the other's data alone; the last mapper then reuses its page without a
// copy (reuse_swap_page with mapcount 1).
func TestForkCOW(t *testing.T) {
	s := bootSmall(t)
	parent, _ := s.NewMM()
	addr, _ := s.MmapAnon(parent, PAGE_SIZE, true)
	s.UserAccess(parent, addr, true, 111)
	_, orig := ptePFN(t, parent, addr)

	child, err := s.DupMM(parent)
	if err != nil {
		t.Fatal(err)
	}
	pe, ppfn := ptePFN(t, parent, addr)
	ce, cpfn := ptePFN(t, child, addr)
	if ppfn != orig || cpfn != orig || pe.write() || ce.write() {
		t.Fatalf("after fork: parent pfn %#x write %v, child pfn %#x write %v", ppfn, pe.write(), cpfn, ce.write())
	}
	if mc := s.Page(orig).Mapcount(); mc != 2 {
		t.Fatalf("mapcount after fork %d, want 2", mc)
	}
	checkInv(t, s)

	if _, err := s.UserAccess(child, addr, true, 222); err != nil {
		t.Fatal(err)
	}
	_, cpfn = ptePFN(t, child, addr)
	if cpfn == orig {
		t.Fatal("child's write did not copy")
	}
	if got, _ := s.UserAccess(parent, addr, false, 0); got != 111 {
		t.Fatalf("parent reads %d after the child's write, want 111", got)
	}
	if got, _ := s.UserAccess(child, addr, false, 0); got != 222 {
		t.Fatalf("child reads %d, want 222", got)
	}
	if mc := s.Page(orig).Mapcount(); mc != 1 {
		t.Fatalf("original page mapcount %d after COW, want 1", mc)
	}
	checkInv(t, s)

	faults := s.VMEvent(PGFAULT)
	if _, err := s.UserAccess(parent, addr, true, 333); err != nil {
		t.Fatal(err)
	}
	if _, ppfn = ptePFN(t, parent, addr); ppfn != orig {
		t.Fatalf("parent's write copied a page it alone maps (pfn %#x -> %#x)", orig, ppfn)
	}
	if s.VMEvent(PGFAULT) != faults+1 {
		t.Fatalf("write-protect fault not counted")
	}
	checkInv(t, s)
}

// TestMunmapFreesWithLastReference checks do_munmap(): the VMA is split at
// the range's ends, mapcounts drop, and each frame goes back to the
// allocator with its last reference; exit_mmap then frees everything,
// page tables and pgd included, so no page leaks.
func TestMunmapFreesWithLastReference(t *testing.T) {
	s := bootSmall(t)
	s.LRUAddDrain()
	before := freeNow(s)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 16*PAGE_SIZE, true)
	pfns := make([]uint64, 16)
	for i := range pfns {
		a := addr + uint64(i)*PAGE_SIZE
		s.UserAccess(m, a, true, uint64(1000+i))
		_, pfns[i] = ptePFN(t, m, a)
	}
	s.LRUAddDrain()
	if err := s.Munmap(m, addr+4*PAGE_SIZE, 4*PAGE_SIZE); err != nil {
		t.Fatal(err)
	}
	if len(m.vmas) != 2 || m.vmas[0].End != addr+4*PAGE_SIZE || m.vmas[1].Start != addr+8*PAGE_SIZE {
		t.Fatalf("VMAs after munmap: %+v", m.vmas)
	}
	for i, pfn := range pfns {
		p := s.Page(pfn)
		gone := i >= 4 && i < 8
		if gone && (p.Count() != 0 || p.Mapcount() != 0 || p.PageLRU()) {
			t.Errorf("unmapped page %d: count %d mapcount %d lru %v", i, p.Count(), p.Mapcount(), p.PageLRU())
		}
		if !gone {
			if got, _ := s.UserAccess(m, addr+uint64(i)*PAGE_SIZE, false, 0); got != uint64(1000+i) {
				t.Errorf("page %d reads %d after munmap elsewhere", i, got)
			}
		}
	}
	if _, err := s.UserAccess(m, addr+5*PAGE_SIZE, false, 0); err != ErrSegv {
		t.Errorf("access to the hole: %v, want SIGSEGV", err)
	}
	checkInv(t, s)
	s.Mmput(m)
	s.LRUAddDrainAll()
	if after := freeNow(s); after != before {
		t.Fatalf("free pages %d before, %d after exit: %d leaked", before, after, before-after)
	}
	checkInv(t, s)
}

// TestForkExitDataIntegrity runs a parent and two generations of children
// writing, reading and unmapping; every read must return what that address
// space last wrote (the shadow), and exiting them all frees every page.
func TestForkExitDataIntegrity(t *testing.T) {
	s := bootSmall(t)
	s.LRUAddDrain()
	before := freeNow(s)
	type as struct {
		m      *MMStruct
		shadow map[uint64]uint64
	}
	root, _ := s.NewMM()
	base, _ := s.MmapAnon(root, 64*PAGE_SIZE, true)
	spaces := []*as{{root, map[uint64]uint64{}}}
	token := uint64(1)
	for round := 0; round < 6; round++ {
		for _, a := range spaces {
			for i := uint64(0); i < 64; i += uint64(round%3) + 1 {
				addr := base + i*PAGE_SIZE
				if (i+uint64(round))%2 == 0 {
					token++
					if _, err := s.UserAccess(a.m, addr, true, token); err != nil {
						t.Fatal(err)
					}
					a.shadow[addr] = token
				} else if got, err := s.UserAccess(a.m, addr, false, 0); err != nil || got != a.shadow[addr] {
					t.Fatalf("round %d mm %d addr %#x: read %d (%v), wrote %d", round, a.m.ID, addr, got, err, a.shadow[addr])
				}
			}
		}
		if round < 3 {
			p := spaces[len(spaces)-1]
			child, err := s.DupMM(p.m)
			if err != nil {
				t.Fatal(err)
			}
			sh := map[uint64]uint64{}
			for k, v := range p.shadow {
				sh[k] = v
			}
			spaces = append(spaces, &as{child, sh})
		}
		checkInv(t, s)
	}
	for _, a := range spaces {
		s.Mmput(a.m)
	}
	s.LRUAddDrainAll()
	if after := freeNow(s); after != before {
		t.Fatalf("%d pages leaked", before-after)
	}
	checkInv(t, s)
}

// BenchmarkAnonFault measures write faults on fresh anonymous memory
// (do_anonymous_page through alloc_pages_vma), including unmapping it again
// every 16 MiB; quote it against BenchmarkBaselinePool4KiB.
func BenchmarkAnonFault(b *testing.B) {
	s := bootSmall(b)
	m, _ := s.NewMM()
	const span = 16 << 20
	addr, _ := s.MmapAnon(m, span, true)
	off := uint64(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.UserAccess(m, addr+off, true, uint64(i)); err != nil {
			b.Fatal(err)
		}
		off += PAGE_SIZE
		if off == span {
			b.StopTimer()
			s.Munmap(m, addr, span)
			addr, _ = s.MmapAnon(m, span, true)
			off = 0
			b.StartTimer()
		}
	}
	b.StopTimer()
	checkInv(b, s)
}

// TestExitFreesAllPageTables checks free_pgtables() with several VMAs
// going at once (exit after a munmap split the mapping): every PTE table
// is freed and uncounted from NR_PAGETABLE.
func TestExitFreesAllPageTables(t *testing.T) {
	s := bootSmall(t)
	m, _ := s.NewMM()
	addr, _ := s.MmapAnon(m, 1024*PAGE_SIZE, true)
	for i := uint64(0); i < 1024; i++ {
		s.UserAccess(m, addr+i*PAGE_SIZE, true, i)
	}
	s.Munmap(m, addr+PAGE_SIZE, PAGE_SIZE)
	s.Mmput(m)
	s.LRUAddDrainAll()
	if n := s.GlobalPageStateSnapshot(NR_PAGETABLE); n != 0 {
		t.Fatalf("NR_PAGETABLE %d after exit", n)
	}
	checkInv(t, s)
}
