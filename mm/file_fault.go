// SPDX-License-Identifier: GPL-2.0-only

package mm

// Faults on file mappings: mm/memory.c's do_linear_fault family with
// do_set_pte and fault-around, and mm/filemap.c's filemap_fault,
// filemap_map_pages and the mmap readahead heuristics. (The rest of
// memory.c is in memory.go; this file keeps the file-backed half apart.)

// PageMkwriteOp is vm_ops->page_mkwrite: a shared writable mapping's page
// is about to be written; the filesystem reserves blocks and returns the
// page locked (VM_FAULT_LOCKED), or an error.
type PageMkwriteOp interface {
	PageMkwrite(s *System, v *VMArea, pfn uint64) int
}

// VM_FAULT_LOCKED and VM_FAULT_NOPAGE, include/linux/mm.h.
const (
	VM_FAULT_NOPAGE = 0x0100
	VM_FAULT_LOCKED = 0x0200
)

// faultAroundPages is fault_around_pages(): fault_around_bytes (64 KiB)
// in pages.
const faultAroundPages = 65536 / PAGE_SIZE

// MMAP_LOTSAMISS: past this many mmap read misses, stop mmap readahead.
const MMAP_LOTSAMISS = 100

// doLinearFault is do_linear_fault(): a read of a file page, a write to a
// private one (COW), or a write to a shared one.
func (s *System) doLinearFault(m *MMStruct, v *VMArea, addr uint64, ptep *pte, flags int, orig pte) int {
	s.Cover("do_linear_fault")
	pgoff := v.linearPageIndex(addr)
	if flags&FAULT_FLAG_WRITE == 0 {
		return s.doReadFault(m, v, addr, ptep, pgoff, flags, orig)
	}
	if v.Flags&VM_SHARED == 0 {
		return s.doCOWFault(m, v, addr, ptep, pgoff, flags, orig)
	}
	return s.doSharedFault(m, v, addr, ptep, pgoff, flags, orig)
}

// __doFault is __do_fault(): vm_ops->fault (filemap_fault, or shmem_fault
// for a tmpfs file), returning the page locked with a reference.
func (s *System) __doFault(v *VMArea, addr, pgoff uint64, flags int) (uint64, int) {
	s.Cover("__do_fault")
	var pfn uint64
	var ret int
	if _, ok := v.File.Mapping.Ops.(*shmemAops); ok {
		pfn, ret = s.shmemFault(v, pgoff, flags) // shmem hook: shmem_vm_ops.fault
	} else {
		pfn, ret = s.filemapFault(v, pgoff, flags)
	}
	if ret&(VM_FAULT_ERROR|VM_FAULT_NOPAGE|VM_FAULT_RETRY) != 0 {
		return 0, ret
	}
	if ret&VM_FAULT_LOCKED == 0 {
		s.lockPage(pfn)
	}
	return pfn, ret
}

// doSetPte is do_set_pte(): map the page, counted as file or (for a COW
// copy) new anon.
func (s *System) doSetPte(v *VMArea, addr, pfn uint64, ptep *pte, write, anon bool) {
	s.Cover("do_set_pte")
	e := mkPte(pfn, v.pageProt())
	if write {
		e = maybeMkwrite(e.mkdirty(), v)
	}
	if anon {
		v.mm.rss[MM_ANONPAGES]++
		s.pageAddNewAnonRmap(pfn, v, addr)
	} else {
		v.mm.rss[MM_FILEPAGES]++
		s.pageAddFileRmap(pfn)
	}
	*ptep = e
}

// doFaultAround is do_fault_around(): map the already cached, up-to-date
// pages around the fault (up to 16, within the VMA and this page table)
// before handling the fault itself.
func (s *System) doFaultAround(v *VMArea, addr, pgoff uint64) {
	s.Cover("do_fault_around")
	mask := ^uint64(faultAroundPages*PAGE_SIZE - 1)
	startAddr := max(addr&mask, v.Start)
	off := (addr - startAddr) >> PAGE_SHIFT
	pgoff -= off
	maxPgoff := pgoff - (startAddr>>PAGE_SHIFT)&(PTRS_PER_TABLE-1) + PTRS_PER_TABLE - 1
	maxPgoff = min(maxPgoff, (v.End-v.Start)>>PAGE_SHIFT+v.Pgoff-1, pgoff+faultAroundPages-1)
	for {
		p := v.mm.pteOffset(startAddr)
		if p == nil || p.none() {
			break
		}
		pgoff++
		if pgoff > maxPgoff {
			return
		}
		startAddr += PAGE_SIZE
		if startAddr >= v.End {
			return
		}
	}
	s.filemapMapPages(v, startAddr, pgoff, maxPgoff)
}

// filemapMapPages is filemap_map_pages(): for each cached page in
// [pgoff, maxPgoff] that is up to date, not marked for readahead and not
// locked, and whose PTE is empty, map it read-only.
func (s *System) filemapMapPages(v *VMArea, address, pgoff, maxPgoff uint64) {
	s.Cover("filemap_map_pages")
	m := v.File.Mapping
	items := m.tree.GangLookup(nil, pgoff, int(maxPgoff-pgoff)+1)
	for _, it := range items {
		if it.Index > maxPgoff {
			break
		}
		if RadixTreeExceptionalEntry(it.Entry) {
			continue
		}
		pfn := RadixEntryToPFN(it.Entry)
		p := &s.pages[pfn]
		s.GetPage(pfn) // page_cache_get_speculative
		if !p.testFlag(PG_uptodate) || p.testFlag(PG_readahead) {
			s.PutPage(pfn)
			continue
		}
		if !s.trylockPage(pfn) {
			s.PutPage(pfn)
			continue
		}
		size := (m.Host.ISize() + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
		addr := address + (p.index-pgoff)*PAGE_SIZE
		ptep := v.mm.pteOffset(addr)
		if p.mapping != m.handle() || !p.testFlag(PG_uptodate) || p.index >= uint64(size)>>PAGE_SHIFT || ptep == nil || !ptep.none() {
			s.unlockPage(pfn)
			s.PutPage(pfn)
			continue
		}
		if v.File.RA.MmapMiss > 0 {
			v.File.RA.MmapMiss--
		}
		s.doSetPte(v, addr, pfn, ptep, false, false)
		s.unlockPage(pfn)
	}
}

// doReadFault is do_read_fault().
func (s *System) doReadFault(m *MMStruct, v *VMArea, addr uint64, ptep *pte, pgoff uint64, flags int, orig pte) int {
	s.Cover("do_read_fault")
	if faultAroundPages > 1 {
		s.doFaultAround(v, addr, pgoff)
		if *ptep != orig {
			return 0
		}
	}
	pfn, ret := s.__doFault(v, addr, pgoff, flags)
	if ret&(VM_FAULT_ERROR|VM_FAULT_NOPAGE|VM_FAULT_RETRY) != 0 {
		return ret
	}
	if *ptep != orig {
		s.unlockPage(pfn)
		s.PutPage(pfn)
		return ret
	}
	s.doSetPte(v, addr, pfn, ptep, false, false)
	s.unlockPage(pfn)
	return ret
}

// doCOWFault is do_cow_fault(): a write to a private file mapping gets an
// anonymous copy of the file page.
func (s *System) doCOWFault(m *MMStruct, v *VMArea, addr uint64, ptep *pte, pgoff uint64, flags int, orig pte) int {
	s.Cover("do_cow_fault")
	s.anonVMAPrepare(v)
	newPFN, ok := s.allocPageVMA(GFP_HIGHUSER_MOVABLE, v, addr)
	if !ok {
		return VM_FAULT_OOM
	}
	pfn, ret := s.__doFault(v, addr, pgoff, flags)
	if ret&(VM_FAULT_ERROR|VM_FAULT_NOPAGE|VM_FAULT_RETRY) != 0 {
		s.PutPage(newPFN)
		return ret
	}
	s.cowUserPage(newPFN, pfn)
	s.pages[newPFN].setFlag(PG_uptodate)
	if *ptep != orig {
		s.unlockPage(pfn)
		s.PutPage(pfn)
		s.PutPage(newPFN)
		return ret
	}
	s.doSetPte(v, addr, newPFN, ptep, true, true)
	s.unlockPage(pfn)
	s.PutPage(pfn)
	return ret
}

// doSharedFault is do_shared_fault(): a write to a shared file mapping
// maps the page cache page writable, after ->page_mkwrite, and dirties it.
func (s *System) doSharedFault(m *MMStruct, v *VMArea, addr uint64, ptep *pte, pgoff uint64, flags int, orig pte) int {
	s.Cover("do_shared_fault")
	pfn, ret := s.__doFault(v, addr, pgoff, flags)
	if ret&(VM_FAULT_ERROR|VM_FAULT_NOPAGE|VM_FAULT_RETRY) != 0 {
		return ret
	}
	mk, hasMkwrite := v.File.Mapping.Ops.(PageMkwriteOp)
	if hasMkwrite {
		s.unlockPage(pfn)
		tmp := s.doPageMkwrite(v, pfn, mk)
		if tmp == 0 || tmp&(VM_FAULT_ERROR|VM_FAULT_NOPAGE) != 0 {
			s.PutPage(pfn)
			return tmp
		}
	}
	if *ptep != orig {
		s.unlockPage(pfn)
		s.PutPage(pfn)
		return ret
	}
	s.doSetPte(v, addr, pfn, ptep, true, false)
	dirtied := s.SetPageDirty(pfn)
	mapping := s.pageMapping(pfn)
	s.unlockPage(pfn)
	if (dirtied || hasMkwrite) && mapping != nil {
		s.BalanceDirtyPagesRatelimited(mapping)
	}
	return ret
}

// doPageMkwrite is do_page_mkwrite(): call ->page_mkwrite; make sure the
// page comes back locked and still in the file.
func (s *System) doPageMkwrite(v *VMArea, pfn uint64, mk PageMkwriteOp) int {
	s.Cover("do_page_mkwrite")
	ret := mk.PageMkwrite(s, v, pfn)
	if ret&(VM_FAULT_ERROR|VM_FAULT_NOPAGE) != 0 {
		return ret
	}
	if ret&VM_FAULT_LOCKED == 0 {
		s.lockPage(pfn)
		if s.pages[pfn].mapping == 0 {
			s.unlockPage(pfn)
			return VM_FAULT_NOPAGE
		}
		ret |= VM_FAULT_LOCKED
	}
	return ret
}

// filemapFault is filemap_fault(): the page at pgoff, read in (with mmap
// readahead) on a miss, which is a major fault. The page lock is taken
// with lock_page_or_retry: a user fault waits for it killably and
// returns VM_FAULT_RETRY.
func (s *System) filemapFault(v *VMArea, offset uint64, flags int) (uint64, int) {
	s.Cover("filemap_fault")
	m := v.File.Mapping
	ra := v.File.RA
	size := (m.Host.ISize() + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
	if offset >= uint64(size)>>PAGE_SHIFT {
		return 0, VM_FAULT_SIGBUS
	}
	ret := 0
	pfn, ok := s.FindGetPage(m, offset)
	if ok && flags&FAULT_FLAG_TRIED == 0 {
		s.doAsyncMmapReadahead(v, ra, pfn, offset)
	} else if !ok {
		s.doSyncMmapReadahead(v, ra, offset)
		s.countVMEvent(PGMAJFAULT)
		ret = VM_FAULT_MAJOR
	}
	for tries := 0; ; tries++ {
		if !ok {
			pfn, ok = s.FindGetPage(m, offset)
		}
		if !ok {
			// no_cached_page: page_cache_read.
			npfn, ok2 := s.pageCacheAlloc(m.GFPMask | GFP_COLD)
			if !ok2 {
				return 0, VM_FAULT_OOM
			}
			if err := s.AddToPageCacheLRU(npfn, m, offset); err == nil {
				m.Ops.Readpage(s, npfn)
			}
			s.PutPage(npfn)
			if tries > 5 {
				return 0, VM_FAULT_SIGBUS
			}
			continue
		}
		if !s.lockPageOrRetry(pfn, v.mm, flags) {
			s.PutPage(pfn)
			return 0, ret | VM_FAULT_RETRY
		}
		p := &s.pages[pfn]
		if p.mapping != m.handle() {
			s.unlockPage(pfn)
			s.PutPage(pfn)
			ok = false
			continue
		}
		if !p.testFlag(PG_uptodate) {
			// page_not_uptodate: read it again and wait.
			p.clearFlag(PG_error)
			m.Ops.Readpage(s, pfn)
			s.WaitOnPageLocked(pfn)
			s.PutPage(pfn)
			ok = false
			if tries > 5 {
				return 0, VM_FAULT_SIGBUS
			}
			continue
		}
		size = (m.Host.ISize() + PAGE_SIZE - 1) &^ (PAGE_SIZE - 1)
		if offset >= uint64(size)>>PAGE_SHIFT {
			s.unlockPage(pfn)
			s.PutPage(pfn)
			return 0, VM_FAULT_SIGBUS
		}
		return pfn, ret | VM_FAULT_LOCKED
	}
}

// doSyncMmapReadahead is do_sync_mmap_readahead(): on a miss, read a
// window around the fault (half before), unless the mapping is random or
// has missed too often.
func (s *System) doSyncMmapReadahead(v *VMArea, ra *FileRAState, offset uint64) {
	s.Cover("do_sync_mmap_readahead")
	if v.Flags&VM_RAND_READ != 0 || ra.RAPages == 0 {
		return
	}
	m := v.File.Mapping
	if v.Flags&VM_SEQ_READ != 0 {
		s.pageCacheSyncReadahead(m, ra, offset, ra.RAPages)
		return
	}
	if ra.MmapMiss < MMAP_LOTSAMISS*10 {
		ra.MmapMiss++
	}
	if ra.MmapMiss > MMAP_LOTSAMISS {
		return
	}
	raPages := ra.RAPages
	ra.Start = 0
	if offset > raPages/2 {
		ra.Start = offset - raPages/2
	}
	ra.Size = raPages
	ra.AsyncSize = raPages / 4
	s.__doPageCacheReadahead(m, ra.Start, ra.Size, ra.AsyncSize)
}

// doAsyncMmapReadahead is do_async_mmap_readahead().
func (s *System) doAsyncMmapReadahead(v *VMArea, ra *FileRAState, pfn, offset uint64) {
	s.Cover("do_async_mmap_readahead")
	if v.Flags&VM_RAND_READ != 0 {
		return
	}
	if ra.MmapMiss > 0 {
		ra.MmapMiss--
	}
	if s.pages[pfn].testFlag(PG_readahead) {
		s.pageCacheAsyncReadahead(v.File.Mapping, ra, pfn, offset, ra.RAPages)
	}
}

// zapDetails is struct zap_details.
type zapDetails struct {
	checkMapping *AddressSpace
}

// UnmapMappingRange is unmap_mapping_range(): unmap every PTE, in every
// VMA of the file, that maps the byte range [holebegin, holebegin+holelen)
// (to the end of the file for holelen 0); private COW copies go too when
// evenCows, else they stay.
func (s *System) UnmapMappingRange(m *AddressSpace, holebegin, holelen int64, evenCows bool) {
	s.Cover("unmap_mapping_range")
	hba := uint64(holebegin) >> PAGE_SHIFT
	hlen := uint64(holelen+PAGE_SIZE-1) >> PAGE_SHIFT
	details := &zapDetails{}
	if !evenCows {
		details.checkMapping = m
	}
	first, last := hba, hba+hlen-1
	if hlen == 0 || last < first {
		last = ^uint64(0)
	}
	for _, v := range append([]*VMArea(nil), m.iMmap...) {
		vba := v.Pgoff
		vea := vba + (v.End-v.Start)>>PAGE_SHIFT - 1
		if vea < first || vba > last {
			continue
		}
		zba, zea := max(first, vba), min(last, vea)
		start := (zba-vba)<<PAGE_SHIFT + v.Start
		end := (zea-vba+1)<<PAGE_SHIFT + v.Start
		// zap_page_range_single
		s.LRUAddDrain()
		tlb := s.tlbGatherMMU(v.mm)
		tlb.details = details
		s.zapPTERange(tlb, v, start, end)
		s.tlbFinishMMU(tlb)
	}
}

// doWPPageShared is do_wp_page()'s shared-writable branch: a write to a
// shared file page that writeback write-protected (page_mkclean). With
// ->page_mkwrite the filesystem prepares the page (and returns it locked);
// the PTE becomes writable and dirty again and the page is dirtied.
func (s *System) doWPPageShared(v *VMArea, addr uint64, ptep *pte, orig pte, old uint64) int {
	s.Cover("do_wp_page")
	mk, hasMkwrite := v.File.Mapping.Ops.(PageMkwriteOp)
	if hasMkwrite {
		s.GetPage(old)
		tmp := s.doPageMkwrite(v, old, mk)
		if tmp == 0 || tmp&(VM_FAULT_ERROR|VM_FAULT_NOPAGE) != 0 {
			s.PutPage(old)
			return tmp
		}
		if *ptep != orig {
			s.unlockPage(old)
			s.PutPage(old)
			return 0
		}
	}
	s.GetPage(old) // dirty_page
	// reuse:
	s.pageCpupidXchgLast(old)
	*ptep = maybeMkwrite(orig.mkyoung().mkdirty(), v)
	if !hasMkwrite {
		s.WaitOnPageLocked(old)
		s.SetPageDirty(old) // set_page_dirty_balance
		if m := s.pageMapping(old); m != nil {
			s.BalanceDirtyPagesRatelimited(m)
		}
	}
	s.PutPage(old)
	if hasMkwrite {
		m := s.pageMapping(old)
		s.SetPageDirty(old)
		s.unlockPage(old)
		s.PutPage(old)
		if m != nil {
			s.BalanceDirtyPagesRatelimited(m)
		}
	}
	return VM_FAULT_WRITE
}
