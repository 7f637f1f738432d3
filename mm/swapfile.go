// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"errors"
	"fmt"

	"pagesim/klog"
)

// mm/swapfile.c: swap areas (swapon, swapoff), the swap_map that counts the
// references to each swap slot, slot allocation (scan_swap_map,
// get_swap_page), and the functions that drop or duplicate those
// references. include/linux/swap.h and include/linux/swapops.h supply the
// constants and the swp_entry_t encoding.
//
// Model, for the whole file: swap areas are block devices with 4 KiB blocks
// (SWP_BLKDEV, one swap extent starting at block 0, so slot n is block n);
// they are rotational, so scan_swap_map takes the SWAPFILE_CLUSTER path and
// no cluster_info exists (the SSD path, discard and frontswap are not
// modeled); swap count continuations are not modeled, so a slot's count
// stops at SWAP_MAP_MAX (62) and a 63rd reference fails as if
// add_swap_count_continuation could not allocate its page (fork then fails
// with ENOMEM, try_to_unmap with SWAP_FAIL); overcommit accounting (the
// vm_enough_memory check of swapoff) always passes; the swap area locks
// and mmap_sem are not modeled.

// swap_map values, include/linux/swap.h.
const (
	SWAP_MAP_MAX    = 0x3e // highest count in the first swap_map
	SWAP_MAP_BAD    = 0x3f // a bad page, or the header
	SWAP_HAS_CACHE  = 0x40 // the slot has a swap cache page
	SWAP_CONT_MAX   = 0x7f
	COUNT_CONTINUED = 0x80
	SWAP_MAP_SHMEM  = 0xbf // owned by shmem/tmpfs
)

// swap_info_struct flags, include/linux/swap.h.
const (
	SWP_USED         = 1 << 0
	SWP_WRITEOK      = 1 << 1
	SWP_DISCARDABLE  = 1 << 2
	SWP_DISCARDING   = 1 << 3
	SWP_SOLIDSTATE   = 1 << 4
	SWP_CONTINUED    = 1 << 5
	SWP_BLKDEV       = 1 << 6
	SWP_FILE         = 1 << 7
	SWP_AREA_DISCARD = 1 << 8
	SWP_PAGE_DISCARD = 1 << 9
	SWP_SCANNING     = 1 << 10
)

// swapon(2) flags.
const (
	SWAP_FLAG_PREFER    = 0x8000
	SWAP_FLAG_PRIO_MASK = 0x7fff
)

// SWAPFILE_CLUSTER is how many slots scan_swap_map hands out in a row;
// LATENCY_LIMIT how many it scans between cond_resched()s.
const (
	SWAPFILE_CLUSTER = 256
	LATENCY_LIMIT    = 256
)

// SWP_TYPE_SHIFT places the type in the high bits of swp_entry_t.val,
// leaving room for shmem's radix-tree exceptional shift
// (include/linux/swapops.h).
const (
	SWP_TYPE_SHIFT  = 64 - (MAX_SWAPFILES_SHIFT + RADIX_TREE_EXCEPTIONAL_SHIFT)
	SWP_OFFSET_MASK = 1<<SWP_TYPE_SHIFT - 1
)

// Errnos of the swap calls.
var (
	EBUSY = errors.New("EBUSY")
	EINTR = errors.New("EINTR")
)

// Internal error codes, as the kernel returns them.
const (
	errnoENOENT = -2
	errnoEINTR  = -4
	errnoENOMEM = -12
	errnoEEXIST = -17
	errnoEINVAL = -22
)

// val is swp_entry_t.val: the arch-independent encoding, which is the swap
// cache index and what page->private holds for a swap-cache page.
func (e swpEntry) val() uint64 {
	return uint64(e.Type)<<SWP_TYPE_SHIFT | e.Offset&SWP_OFFSET_MASK
}

// swpEntryFromVal is (swp_entry_t){ .val = v } read back with swp_type()
// and swp_offset().
func swpEntryFromVal(v uint64) swpEntry {
	return swpEntry{Type: int(v >> SWP_TYPE_SHIFT), Offset: v & SWP_OFFSET_MASK}
}

// nonSwapEntry is non_swap_entry(): a migration (or hwpoison) entry.
func nonSwapEntry(e swpEntry) bool { return e.Type >= MAX_SWAPFILES }

// isMigrationEntry is is_migration_entry().
func isMigrationEntry(e swpEntry) bool {
	return e.Type == SWP_MIGRATION_READ || e.Type == SWP_MIGRATION_WRITE
}

// swapCount is swap_count(): the count without SWAP_HAS_CACHE.
func swapCount(ent uint8) uint8 { return ent &^ SWAP_HAS_CACHE }

// SwapDevice is the block device a swap area lives on: what
// map_swap_page's bdev and submit_bio give mm. fs.BlockDevice satisfies it.
type SwapDevice interface {
	// SubmitRead reads block; done gets its data token at completion.
	SubmitRead(block uint64, done func(token uint64))
	// SubmitWrite writes token to block; done runs at completion.
	SubmitWrite(block, token uint64, sync bool, done func())
}

// swapInfoStruct is struct swap_info_struct: one swap area.
type swapInfoStruct struct {
	flags int
	prio  int
	typ   int
	// max is the extent of swapMap; pages the usable slots (max less the
	// header and bad pages); inusePages those in use.
	max, pages, inusePages uint64
	swapMap                []uint8
	// lowestBit and highestBit bound the free slots; clusterNext is where
	// the next allocation looks first, clusterNr how many more it may
	// take in a row.
	lowestBit, highestBit uint64
	clusterNext           uint64
	clusterNr             uint64
	dev                   SwapDevice
	name                  string
}

// swapState holds the globals of mm/swapfile.c, mm/swap_state.c and
// mm/shmem.c's swap list.
type swapState struct {
	// info is swap_info[]; nrSwapfiles the slots ever used.
	info        [MAX_SWAPFILES]*swapInfoStruct
	nrSwapfiles int
	// nrSwapPages is nr_swap_pages (free slots in writable areas),
	// totalSwapPages total_swap_pages.
	nrSwapPages    int64
	totalSwapPages int64
	leastPriority  int
	// active is swap_active_head and avail swap_avail_head: highest
	// priority first, equal priorities in the order plist keeps them.
	active, avail []*swapInfoStruct
	// cacheInfo is swap_cache_info.
	cacheInfo SwapCacheInfo
	// swapin_nr_pages' statics and swapin_readahead_hits.
	readaheadHits      int64
	prevOffset         uint64
	lastReadaheadPages int64
	// pageCluster is page_cluster (vm.page-cluster).
	pageCluster uint
	// shmemSwaplist is shmem_swaplist: inodes with pages in swap.
	shmemSwaplist []*ShmemInodeInfo
	// shmemBDI is shmem_backing_dev_info.
	shmemBDI *BackingDevInfo
}

// plistAdd is plist_add() for a list ordered by descending priority: the
// new node goes after those of equal priority.
func plistAdd(l []*swapInfoStruct, si *swapInfoStruct) []*swapInfoStruct {
	i := 0
	for i < len(l) && l[i].prio >= si.prio {
		i++
	}
	l = append(l, nil)
	copy(l[i+1:], l[i:])
	l[i] = si
	return l
}

// plistDel is plist_del().
func plistDel(l []*swapInfoStruct, si *swapInfoStruct) []*swapInfoStruct {
	for i, x := range l {
		if x == si {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}

// plistOn is !plist_node_empty().
func plistOn(l []*swapInfoStruct, si *swapInfoStruct) bool {
	for _, x := range l {
		if x == si {
			return true
		}
	}
	return false
}

// plistRequeue is plist_requeue(): move si behind its equal-priority
// siblings.
func plistRequeue(l []*swapInfoStruct, si *swapInfoStruct) []*swapInfoStruct {
	return plistAdd(plistDel(l, si), si)
}

// vmSwapFull is vm_swap_full(): more than half of swap in use.
func (s *System) vmSwapFull() bool { return s.swap.nrSwapPages*2 < s.swap.totalSwapPages }

// nrSwapPages is get_nr_swap_pages(): free swap slots.
func (s *System) nrSwapPages() int64 { return s.swap.nrSwapPages }

// NrSwapPages and TotalSwapPages export nr_swap_pages and
// total_swap_pages.
func (s *System) NrSwapPages() int64    { return s.swap.nrSwapPages }
func (s *System) TotalSwapPages() int64 { return s.swap.totalSwapPages }

// __tryToReclaimSwap is __try_to_reclaim_swap(): free a slot that only the
// swap cache holds, if its page can be locked without waiting.
func (s *System) __tryToReclaimSwap(si *swapInfoStruct, offset uint64) bool {
	s.Cover("__try_to_reclaim_swap")
	entry := swpEntry{Type: si.typ, Offset: offset}
	pfn, ok := s.FindGetPage(s.swapperSpace, entry.val())
	if !ok {
		return false
	}
	ret := false
	if s.trylockPage(pfn) {
		ret = s.tryToFreeSwap(pfn)
		s.unlockPage(pfn)
	}
	s.PutPage(pfn)
	return ret
}

// scanSwapMap is scan_swap_map() for a rotational device: hand out slots
// in sequence from cluster_next for SWAPFILE_CLUSTER allocations, then
// look for the first wholly free (unaligned) cluster from lowest_bit, and
// failing that take the first free slot; with swap more than half full a
// slot held only by the swap cache is reclaimed on the way. It returns 0
// when there is no free slot.
//
// Model: si->lock is not modeled; cond_resched() is a real sleep point.
func (s *System) scanSwapMap(si *swapInfoStruct, usage uint8) uint64 {
	s.Cover("scan_swap_map")
	si.flags += SWP_SCANNING
	offset := si.clusterNext
	scanBase := offset
	latencyRation := LATENCY_LIMIT
	ration := func() {
		latencyRation--
		if latencyRation < 0 {
			s.condResched()
			latencyRation = LATENCY_LIMIT
		}
	}
	nr := si.clusterNr
	si.clusterNr--
	if nr == 0 {
		if si.pages-si.inusePages < SWAPFILE_CLUSTER {
			si.clusterNr = SWAPFILE_CLUSTER - 1
		} else {
			// Locate the first empty (unaligned) cluster.
			scanBase = si.lowestBit
			offset = scanBase
			lastInCluster := offset + SWAPFILE_CLUSTER - 1
			found := false
			for ; lastInCluster <= si.highestBit; offset++ {
				if si.swapMap[offset] != 0 {
					lastInCluster = offset + SWAPFILE_CLUSTER
				} else if offset == lastInCluster {
					offset -= SWAPFILE_CLUSTER - 1
					si.clusterNext = offset
					si.clusterNr = SWAPFILE_CLUSTER - 1
					found = true
					break
				}
				ration()
			}
			if !found {
				offset = scanBase
				si.clusterNr = SWAPFILE_CLUSTER - 1
			}
		}
	}
	// candidate: the slot scanning may take (the "goto checks" tests).
	candidate := func(off uint64) bool {
		return si.swapMap[off] == 0 || (s.vmSwapFull() && si.swapMap[off] == SWAP_HAS_CACHE)
	}
	for {
		// checks:
		if si.flags&SWP_WRITEOK == 0 || si.highestBit == 0 {
			break
		}
		if offset > si.highestBit {
			offset = si.lowestBit
			scanBase = offset
		}
		if s.vmSwapFull() && si.swapMap[offset] == SWAP_HAS_CACHE {
			if s.__tryToReclaimSwap(si, offset) {
				continue // freed: try this slot again
			}
		} else if si.swapMap[offset] == 0 {
			if offset == si.lowestBit {
				si.lowestBit++
			}
			if offset == si.highestBit {
				si.highestBit--
			}
			si.inusePages++
			if si.inusePages == si.pages {
				si.lowestBit = si.max
				si.highestBit = 0
				s.swap.avail = plistDel(s.swap.avail, si)
			}
			si.swapMap[offset] = usage
			si.clusterNext = offset + 1
			si.flags -= SWP_SCANNING
			return offset
		}
		// scan:
		found := false
		for offset++; offset <= si.highestBit; offset++ {
			if candidate(offset) {
				found = true
				break
			}
			ration()
		}
		if !found {
			for offset = si.lowestBit; offset < scanBase; offset++ {
				if candidate(offset) {
					found = true
					break
				}
				ration()
			}
		}
		if !found {
			break
		}
	}
	// no_page:
	si.flags -= SWP_SCANNING
	return 0
}

// getSwapPage is get_swap_page(): a free slot, marked SWAP_HAS_CACHE, from
// the highest-priority area that has one (areas of equal priority take
// turns); the zero entry when swap is full or absent.
func (s *System) getSwapPage() (swpEntry, bool) {
	s.Cover("get_swap_page")
	sw := &s.swap
	if sw.nrSwapPages <= 0 {
		return swpEntry{}, false
	}
	sw.nrSwapPages--
startOver:
	for i := 0; i < len(sw.avail); {
		si := sw.avail[i]
		var next *swapInfoStruct
		if i+1 < len(sw.avail) {
			next = sw.avail[i+1]
		}
		sw.avail = plistRequeue(sw.avail, si)
		if si.highestBit == 0 || si.flags&SWP_WRITEOK == 0 {
			if plistOn(sw.avail, si) {
				if s.log != nil {
					s.log.WarnOnf(si.highestBit == 0, "mm/swapfile.c", 664, "swap_info %d in list but !highest_bit\n", si.typ)
					s.log.WarnOnf(si.flags&SWP_WRITEOK == 0, "mm/swapfile.c", 667, "swap_info %d in list but !SWP_WRITEOK\n", si.typ)
				}
				sw.avail = plistDel(sw.avail, si)
			}
		} else if offset := s.scanSwapMap(si, SWAP_HAS_CACHE); offset != 0 {
			return swpEntry{Type: si.typ, Offset: offset}, true
		}
		// nextsi:
		if next == nil {
			break
		}
		if !plistOn(sw.avail, next) {
			goto startOver
		}
		for i = 0; sw.avail[i] != next; i++ {
		}
	}
	sw.nrSwapPages++
	return swpEntry{}, false
}

// swapInfoGet is swap_info_get(): the area of a valid, in-use entry, or
// nil after the kernel's complaint.
func (s *System) swapInfoGet(entry swpEntry) *swapInfoStruct {
	s.Cover("swap_info_get")
	val := entry.val()
	if val == 0 {
		return nil
	}
	msg := ""
	switch {
	case entry.Type >= s.swap.nrSwapfiles:
		msg = "Bad swap file entry "
	case s.swap.info[entry.Type].flags&SWP_USED == 0:
		msg = "Unused swap file entry "
	case entry.Offset >= s.swap.info[entry.Type].max:
		msg = "Bad swap offset entry "
	case s.swap.info[entry.Type].swapMap[entry.Offset] == 0:
		msg = "Unused swap offset entry "
	default:
		return s.swap.info[entry.Type]
	}
	s.logf(klog.KernErr, "swap_free: %s%08x\n", msg, val)
	return nil
}

// swapEntryFree is swap_entry_free(): drop one reference of kind usage (a
// map count, or SWAP_HAS_CACHE) and release the slot when none is left.
// It returns what remains in the swap_map.
func (s *System) swapEntryFree(p *swapInfoStruct, entry swpEntry, usage uint8) uint8 {
	s.Cover("swap_entry_free")
	offset := entry.Offset
	count := p.swapMap[offset]
	hasCache := count & SWAP_HAS_CACHE
	count &^= SWAP_HAS_CACHE
	if usage == SWAP_HAS_CACHE {
		if hasCache == 0 {
			s.bug("mm/swapfile.c", 773)
		}
		hasCache = 0
	} else if count == SWAP_MAP_SHMEM {
		count = 0
	} else if count&^COUNT_CONTINUED <= SWAP_MAP_MAX {
		count--
	}
	usage = count | hasCache
	p.swapMap[offset] = usage
	if usage == 0 {
		if offset < p.lowestBit {
			p.lowestBit = offset
		}
		if offset > p.highestBit {
			wasFull := p.highestBit == 0
			p.highestBit = offset
			if wasFull && p.flags&SWP_WRITEOK != 0 {
				if s.log != nil {
					s.log.WarnOn(plistOn(s.swap.avail, p), "mm/swapfile.c", 807)
				}
				if !plistOn(s.swap.avail, p) {
					s.swap.avail = plistAdd(s.swap.avail, p)
				}
			}
		}
		s.swap.nrSwapPages++
		p.inusePages--
	}
	return usage
}

// swapFree is swap_free(): drop one map reference to the entry.
func (s *System) swapFree(entry swpEntry) {
	if p := s.swapInfoGet(entry); p != nil {
		s.swapEntryFree(p, entry, 1)
	}
}

// swapcacheFree is swapcache_free(): drop the swap cache's SWAP_HAS_CACHE.
func (s *System) swapcacheFree(entry swpEntry) {
	if p := s.swapInfoGet(entry); p != nil {
		s.swapEntryFree(p, entry, SWAP_HAS_CACHE)
	}
}

// pageSwapcount is page_swapcount(): the map references to a swap-cache
// page's slot.
func (s *System) pageSwapcount(pfn uint64) int {
	entry := swpEntryFromVal(s.pages[pfn].private)
	if p := s.swapInfoGet(entry); p != nil {
		return int(swapCount(p.swapMap[entry.Offset]))
	}
	return 0
}

// reuseSwapPage is reuse_swap_page(): may a write fault reuse this anon
// page instead of copying it? Only if nothing else maps it or holds its
// swap slot; a page so reused leaves the swap cache (its slot will not be
// read again) and is dirty.
//
// Model: KSM is not modeled.
func (s *System) reuseSwapPage(pfn uint64) bool {
	s.Cover("reuse_swap_page")
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/swapfile.c", 890)
	count := int(p.mapcount)
	if count <= 1 && p.PageSwapCache() {
		count += s.pageSwapcount(pfn)
		if count == 1 && !p.PageWriteback() {
			s.deleteFromSwapCache(pfn)
			p.setFlag(PG_dirty) // SetPageDirty
		}
	}
	return count <= 1
}

// tryToFreeSwap is try_to_free_swap(): a locked swap-cache page whose slot
// nothing else references leaves the swap cache and becomes dirty.
//
// Model: hibernation (pm_suspended_storage) is not modeled.
func (s *System) tryToFreeSwap(pfn uint64) bool {
	s.CoverPage("try_to_free_swap", pfn)
	p := &s.pages[pfn]
	s.vmBugOnPage(!p.PageLocked(), pfn, "!PageLocked(page)", "mm/swapfile.c", 910)
	if !p.PageSwapCache() || p.PageWriteback() || s.pageSwapcount(pfn) != 0 {
		return false
	}
	s.deleteFromSwapCache(pfn)
	p.setFlag(PG_dirty) // SetPageDirty
	return true
}

// freeSwapAndCache is free_swap_and_cache(): drop a map reference and, if
// only the swap cache is left and its page is unmapped (or swap is more
// than half full), free the page's swap too. It reports whether the entry
// was valid.
func (s *System) freeSwapAndCache(entry swpEntry) bool {
	s.Cover("free_swap_and_cache")
	if nonSwapEntry(entry) {
		return true
	}
	p := s.swapInfoGet(entry)
	var pfn uint64
	have := false
	if p != nil {
		if s.swapEntryFree(p, entry, 1) == SWAP_HAS_CACHE {
			pfn, have = s.FindGetPage(s.swapperSpace, entry.val())
			if have && !s.trylockPage(pfn) {
				s.PutPage(pfn)
				have = false
			}
		}
	}
	if have {
		pg := &s.pages[pfn]
		if pg.PageSwapCache() && !pg.PageWriteback() && (pg.mapcount <= 0 || s.vmSwapFull()) {
			s.deleteFromSwapCache(pfn)
			pg.setFlag(PG_dirty) // SetPageDirty
		}
		s.unlockPage(pfn)
		s.PutPage(pfn)
	}
	return p != nil
}

// __swapDuplicate is __swap_duplicate(): take a reference of kind usage
// on an entry. Errors: -EINVAL for a bad or migration entry, -ENOENT for
// an unused (or bad) slot, -EEXIST when the swap cache reference is already
// taken, -ENOMEM when the count would need a continuation.
func (s *System) __swapDuplicate(entry swpEntry, usage uint8) int {
	s.Cover("__swap_duplicate")
	if nonSwapEntry(entry) {
		return errnoEINVAL
	}
	if entry.Type >= s.swap.nrSwapfiles {
		s.logf(klog.KernErr, "swap_dup: %s%08x\n", "Bad swap file entry ", entry.val())
		return errnoEINVAL
	}
	p := s.swap.info[entry.Type]
	offset := entry.Offset
	if offset >= p.max {
		return errnoEINVAL
	}
	count := p.swapMap[offset]
	if swapCount(count) == SWAP_MAP_BAD {
		return errnoENOENT
	}
	hasCache := count & SWAP_HAS_CACHE
	count &^= SWAP_HAS_CACHE
	err := 0
	if usage == SWAP_HAS_CACHE {
		switch {
		case hasCache == 0 && count != 0:
			hasCache = SWAP_HAS_CACHE
		case hasCache != 0:
			err = errnoEEXIST
		default:
			err = errnoENOENT
		}
	} else if count != 0 || hasCache != 0 {
		switch {
		case count&^COUNT_CONTINUED < SWAP_MAP_MAX:
			count += usage
		case count&^COUNT_CONTINUED > SWAP_MAP_MAX:
			err = errnoEINVAL
		default:
			// swap_count_continued: continuations are not modeled.
			err = errnoENOMEM
		}
	} else {
		err = errnoENOENT
	}
	p.swapMap[offset] = count | hasCache
	return err
}

// swapShmemAlloc is swap_shmem_alloc(): mark the slot as shmem's.
func (s *System) swapShmemAlloc(entry swpEntry) { s.__swapDuplicate(entry, SWAP_MAP_SHMEM) }

// swapDuplicate is swap_duplicate(): one more map reference. Only -ENOMEM
// is returned; other failures (a corrupt entry) count as success.
func (s *System) swapDuplicate(entry swpEntry) int {
	err := 0
	for err == 0 && s.__swapDuplicate(entry, 1) == errnoENOMEM {
		err = s.addSwapCountContinuation(entry, GFP_ATOMIC)
	}
	return err
}

// addSwapCountContinuation is add_swap_count_continuation().
//
// Model: continuation pages are not modeled; this always fails as when
// the page cannot be allocated.
func (s *System) addSwapCountContinuation(entry swpEntry, gfp GFP) int { return errnoENOMEM }

// swapcachePrepare is swapcache_prepare(): take the SWAP_HAS_CACHE
// reference for a page about to be read in.
func (s *System) swapcachePrepare(entry swpEntry) int {
	return s.__swapDuplicate(entry, SWAP_HAS_CACHE)
}

// pageSwapInfo is page_swap_info().
func (s *System) pageSwapInfo(pfn uint64) *swapInfoStruct {
	p := &s.pages[pfn]
	if !p.PageSwapCache() {
		s.bug("mm/swapfile.c", 2705)
	}
	return s.swap.info[swpEntryFromVal(p.private).Type]
}

// mapSwapPage is map_swap_page(): the device block of a swap-cache page.
// With one extent from block 0, slot n is block n.
func (s *System) mapSwapPage(pfn uint64) uint64 {
	return swpEntryFromVal(s.pages[pfn].private).Offset
}

// unusePte is unuse_pte(): put the page back where the swap PTE was,
// mapped read-only and old, and drop the PTE's swap reference.
//
// Model: KSM copies and memcg charging are not modeled.
func (s *System) unusePte(v *VMArea, ptep *pte, addr uint64, entry swpEntry, pfn uint64) int {
	s.Cover("unuse_pte")
	if *ptep != swpEntryToPte(entry) {
		return 0
	}
	m := v.mm
	m.rss[MM_SWAPENTS]--
	m.rss[MM_ANONPAGES]++
	s.GetPage(pfn)
	*ptep = mkPte(pfn, v.pageProt()).mkold()
	s.pageAddAnonRmap(pfn, v, addr)
	s.swapFree(entry)
	// Activate, so that it is not swapped straight out again.
	s.activatePage(pfn)
	return 1
}

// unuseVMA is unuse_vma() with unuse_pte_range(): look for the entry's
// PTE where the page would be mapped in v (the whole VMA if the page has
// no anon_vma); 1 once found and replaced.
func (s *System) unuseVMA(v *VMArea, entry swpEntry, pfn uint64) int {
	s.Cover("unuse_vma")
	start, end := v.Start, v.End
	if av := s.pageAnonVMA(&s.pages[pfn]); av != nil {
		// page_address_in_vma
		if v.anonVma == nil || v.anonVma.root != av.root {
			return 0
		}
		addr, ok := v.vmaAddress(s.pages[pfn].index)
		if !ok {
			return 0
		}
		start, end = addr, addr+PAGE_SIZE
	}
	want := swpEntryToPte(entry)
	ret := 0
	v.mm.walkPTEs(start, end, func(addr uint64, ptep *pte) {
		if ret == 0 && *ptep == want {
			ret = s.unusePte(v, ptep, addr, entry, pfn)
		}
	})
	return ret
}

// unuseMM is unuse_mm(): the first VMA with an anon_vma that maps the
// entry gets the page back.
//
// Model: mmap_sem is not modeled, so its trylock never fails.
func (s *System) unuseMM(m *MMStruct, entry swpEntry, pfn uint64) int {
	if s.unuseMMSeen != nil {
		s.unuseMMSeen(m)
	}
	for _, v := range m.vmas {
		if v.anonVma != nil && s.unuseVMA(v, entry, pfn) != 0 {
			break
		}
	}
	return 0
}

// findNextToUnuse is find_next_to_unuse(): the next slot after prev still
// in use (wrapping once), or 0.
func (s *System) findNextToUnuse(si *swapInfoStruct, prev uint64) uint64 {
	s.Cover("find_next_to_unuse")
	max := si.max
	i := prev
	for {
		i++
		if i >= max {
			if prev == 0 {
				return 0
			}
			max = prev + 1
			prev = 0
			i = 1
		}
		count := si.swapMap[i]
		if count != 0 && swapCount(count) != SWAP_MAP_BAD {
			return i
		}
	}
}

// tryToUnuse is try_to_unuse(): for every slot of the area still in use,
// read its page into the swap cache and put it back into every page table
// and shmem file that references the slot, then drop it from the swap
// cache, dirty, so that it is written elsewhere if it is swapped again.
// The page tables are searched along init_mm.mmlist (System.mmlist), the
// mms that have had a swap entry, starting after the mm the previous
// entry was freed from. A fatal signal ends it with -EINTR. It returns 0
// or a negative errno.
//
// Model: only SIGKILL is modeled, so signal_pending is
// fatal_signal_pending; frontswap is not modeled.
func (s *System) tryToUnuse(typ int) int {
	s.Cover("try_to_unuse")
	si := s.swap.info[typ]
	var startMM *MMStruct // nil is init_mm, which swapoff holds throughout
	retval := 0
	var i uint64
	for {
		if i = s.findNextToUnuse(si, i); i == 0 {
			break
		}
		if s.FatalSignalPending(s.current()) {
			retval = errnoEINTR
			break
		}
		entry := swpEntry{Type: typ, Offset: i}
		pfn, ok := s.readSwapCacheAsync(entry, GFP_HIGHUSER_MOVABLE, nil, 0)
		if !ok {
			swcount := si.swapMap[i]
			if swcount == 0 || swcount == SWAP_MAP_BAD {
				continue
			}
			retval = errnoENOMEM
			break
		}
		// Only our reference left: the mm is exiting, let it go.
		if startMM != nil && startMM.mmUsers == 1 {
			s.Mmput(startMM)
			startMM = nil
		}
		s.WaitOnPageLocked(pfn)
		s.WaitOnPageWriteback(pfn)
		s.lockPage(pfn)
		s.WaitOnPageWriteback(pfn)

		swcount := si.swapMap[i]
		if swapCount(swcount) == SWAP_MAP_SHMEM {
			retval = s.shmemUnuse(entry, pfn)
			// shmem_unuse unlocked and released the page.
			if retval < 0 {
				break
			}
			continue
		}
		if swapCount(swcount) != 0 && startMM != nil {
			retval = s.unuseMM(startMM, entry, pfn)
		}
		if swapCount(si.swapMap[i]) != 0 {
			setStartMM := si.swapMap[i] >= swcount
			newStartMM, prevMM := startMM, startMM
			newStartMM.mmget()
			prevMM.mmget()
			// Around the circular list from start_mm back to it. Each mm
			// visited is held, so it stays on the list while we sleep.
			for m := startMM; swapCount(si.swapMap[i]) != 0 && retval == 0; {
				if m = s.mmlistNext(m); m == startMM {
					break
				}
				if m != nil && m.mmUsers == 0 {
					continue // atomic_inc_not_zero failed: being torn down
				}
				m.mmget()
				s.Mmput(prevMM)
				prevMM = m
				s.condResched()
				swcount = si.swapMap[i]
				switch {
				case swapCount(swcount) == 0:
				case m == nil:
					setStartMM = true
				default:
					retval = s.unuseMM(m, entry, pfn)
				}
				if setStartMM && si.swapMap[i] < swcount {
					s.Mmput(newStartMM)
					m.mmget()
					newStartMM = m
					setStartMM = false
				}
			}
			s.Mmput(prevMM)
			s.Mmput(startMM)
			startMM = newStartMM
		}
		if retval != 0 {
			s.unlockPage(pfn)
			s.PutPage(pfn)
			break
		}
		p := &s.pages[pfn]
		// A reference remains: write the page out before dropping it from
		// the swap cache, so that the slot's other user reads it back.
		if swapCount(si.swapMap[i]) != 0 && p.PageDirty() && p.PageSwapCache() {
			wbc := &WritebackControl{SyncMode: WB_SYNC_NONE}
			s.swapWritepage(pfn, wbc)
			s.lockPage(pfn)
			s.WaitOnPageWriteback(pfn)
		}
		if p.PageSwapCache() && p.private == entry.val() {
			s.deleteFromSwapCache(pfn)
		}
		p.setFlag(PG_dirty) // SetPageDirty: no PTE was marked dirty
		s.unlockPage(pfn)
		s.PutPage(pfn)
		s.condResched()
	}
	s.Mmput(startMM)
	return retval
}

// drainMmlist is drain_mmlist(): once no swap area has a slot in use,
// empty init_mm.mmlist (list_del_init: each mm may join again).
func (s *System) drainMmlist() {
	for t := 0; t < s.swap.nrSwapfiles; t++ {
		if s.swap.info[t].inusePages != 0 {
			return
		}
	}
	for _, m := range s.mmlist {
		m.mmring, m.onMMList = nil, false
	}
	s.mmlist = nil
}

// siSwapinfo is si_swapinfo(): free and total swap, counting the slots of
// an area being swapped off.
func (s *System) siSwapinfo() (freeswap, totalswap int64) {
	s.Cover("si_swapinfo")
	var toBeUnused int64
	for t := 0; t < s.swap.nrSwapfiles; t++ {
		si := s.swap.info[t]
		if si.flags&SWP_USED != 0 && si.flags&SWP_WRITEOK == 0 {
			toBeUnused += int64(si.inusePages)
		}
	}
	return s.swap.nrSwapPages + toBeUnused, s.swap.totalSwapPages + toBeUnused
}

// allocSwapInfo is alloc_swap_info(): the first unused swap type.
func (s *System) allocSwapInfo() (*swapInfoStruct, error) {
	s.Cover("alloc_swap_info")
	typ := 0
	for typ < s.swap.nrSwapfiles && s.swap.info[typ].flags&SWP_USED != 0 {
		typ++
	}
	if typ >= MAX_SWAPFILES {
		return nil, EPERM
	}
	if typ >= s.swap.nrSwapfiles {
		s.swap.info[typ] = &swapInfoStruct{typ: typ}
		s.swap.nrSwapfiles++
	}
	p := s.swap.info[typ]
	*p = swapInfoStruct{typ: typ, flags: SWP_USED}
	return p, nil
}

// maxSwapPages is the largest area the entry encodings allow:
// swp_offset(pte_to_swp_entry(swp_entry_to_pte(swp_entry(0, ~0UL)))) + 1.
func maxSwapPages() uint64 {
	e := pteToSwpEntry(swpEntryToPte(swpEntry{Type: 0, Offset: SWP_OFFSET_MASK}))
	return e.Offset&SWP_OFFSET_MASK + 1
}

// readSwapHeader is read_swap_header() for the header mkswap writes on a
// device of sizeBytes: SWAPSPACE2, version 1, last_page the last page of
// the device, no bad pages. It returns maxpages, 0 if unusable.
func (s *System) readSwapHeader(p *swapInfoStruct, sizeBytes uint64) uint64 {
	s.Cover("read_swap_header")
	devPages := sizeBytes >> PAGE_SHIFT
	if devPages == 0 {
		s.logf(klog.KernErr, "Unable to find swap-space signature\n")
		return 0
	}
	lastPage := devPages - 1
	p.lowestBit = 1
	p.clusterNext = 1
	p.clusterNr = 0
	maxpages := maxSwapPages()
	if lastPage > maxpages {
		s.logf(klog.KernWarning, "Truncating oversized swap area, only using %dk out of %dk\n",
			maxpages<<(PAGE_SHIFT-10), lastPage<<(PAGE_SHIFT-10))
	}
	if maxpages > lastPage {
		maxpages = lastPage + 1
	}
	p.highestBit = maxpages - 1
	return maxpages
}

// SwapOn is the swapon(2) system call (sys_swapon) on a block device of
// sizeBytes formatted by mkswap: priority < 0 asks for the default (each
// new area one below the last), else SWAP_FLAG_PREFER with that priority.
// It returns the swap type.
func (s *System) SwapOn(dev SwapDevice, sizeBytes uint64, priority int) (int, error) {
	swapFlags := 0
	if priority >= 0 {
		swapFlags = SWAP_FLAG_PREFER | priority&SWAP_FLAG_PRIO_MASK
	}
	return s.sysSwapon(dev, sizeBytes, swapFlags)
}

// sysSwapon is SYSCALL_DEFINE2(swapon).
//
// Model: CAP_SYS_ADMIN is held; discard flags are ignored (the device
// does not discard).
func (s *System) sysSwapon(dev SwapDevice, sizeBytes uint64, swapFlags int) (int, error) {
	p, err := s.allocSwapInfo()
	if err != nil {
		return -1, err
	}
	badSwap := func(e error) (int, error) {
		p.flags = 0
		p.dev = nil
		return -1, e
	}
	for t := 0; t < s.swap.nrSwapfiles; t++ {
		if q := s.swap.info[t]; q != p && q.dev != nil && q.dev == dev {
			return badSwap(EBUSY)
		}
	}
	p.dev = dev
	p.name = "swap"
	if st, ok := dev.(fmt.Stringer); ok {
		p.name = st.String()
	}
	p.flags |= SWP_BLKDEV // claim_swapfile
	maxpages := s.readSwapHeader(p, sizeBytes)
	if maxpages == 0 {
		return badSwap(EINVAL)
	}
	// setup_swap_map_and_extents
	swapMap := make([]uint8, maxpages)
	nrGoodPages := maxpages - 1 // the header page
	nrExtents := 0
	var span uint64
	if nrGoodPages != 0 {
		swapMap[0] = SWAP_MAP_BAD
		p.max = maxpages
		p.pages = nrGoodPages
		nrExtents = 1 // setup_swap_extents: one extent for a block device
		span = p.pages
	}
	if nrGoodPages == 0 {
		s.logf(klog.KernWarning, "Empty swap-file\n")
		return badSwap(EINVAL)
	}
	prio := -1
	if swapFlags&SWAP_FLAG_PREFER != 0 {
		prio = swapFlags & SWAP_FLAG_PRIO_MASK
	}
	s.enableSwapInfo(p, prio, swapMap)
	s.logf(klog.KernInfo, "Adding %dk swap on %s.  Priority:%d extents:%d across:%dk %s%s%s%s%s\n",
		p.pages<<(PAGE_SHIFT-10), p.name, p.prio, nrExtents, span<<(PAGE_SHIFT-10), "", "", "", "", "")
	return p.typ, nil
}

// enableSwapInfo is enable_swap_info() with _enable_swap_info(): the area
// becomes writable and joins the active and available lists.
func (s *System) enableSwapInfo(p *swapInfoStruct, prio int, swapMap []uint8) {
	s.Cover("enable_swap_info")
	if prio >= 0 {
		p.prio = prio
	} else {
		s.swap.leastPriority--
		p.prio = s.swap.leastPriority
	}
	p.swapMap = swapMap
	p.flags |= SWP_WRITEOK
	s.swap.nrSwapPages += int64(p.pages)
	s.swap.totalSwapPages += int64(p.pages)
	s.swap.active = plistAdd(s.swap.active, p)
	s.swap.avail = plistAdd(s.swap.avail, p)
}

// SwapOff is the swapoff(2) system call (sys_swapoff) for the area on dev:
// it stops allocation from the area, brings every page in it back
// (try_to_unuse) and releases it. On failure the area is put back.
//
// Model: CAP_SYS_ADMIN is held and the overcommit check passes.
func (s *System) SwapOff(dev SwapDevice) error {
	var p *swapInfoStruct
	for _, q := range s.swap.active {
		if q.flags&SWP_WRITEOK != 0 && q.dev == dev {
			p = q
			break
		}
	}
	if p == nil {
		return EINVAL
	}
	s.swap.avail = plistDel(s.swap.avail, p)
	if p.prio < 0 {
		after := false
		for _, si := range s.swap.active {
			if after {
				si.prio++
			}
			if si == p {
				after = true
			}
		}
		s.swap.leastPriority++
	}
	s.swap.active = plistDel(s.swap.active, p)
	s.swap.nrSwapPages -= int64(p.pages)
	s.swap.totalSwapPages -= int64(p.pages)
	p.flags &^= SWP_WRITEOK

	s.setCurrentOOMOrigin(true)
	err := s.tryToUnuse(p.typ)
	s.setCurrentOOMOrigin(false)
	if err != 0 {
		// reinsert_swap_info
		s.enableSwapInfo(p, p.prio, p.swapMap)
		if err == errnoEINTR {
			return EINTR
		}
		return ENOMEM
	}
	s.drainMmlist()
	// Wait for anyone still in scan_swap_map.
	p.highestBit = 0
	p.clusterNr = 0
	for p.flags >= SWP_SCANNING {
		s.scheduleTimeoutUninterruptible(1)
	}
	p.max = 0
	p.swapMap = nil
	p.dev = nil
	p.flags = 0
	return nil
}

// SwapInfo describes one swap area, as /proc/swaps shows it.
type SwapInfo struct {
	Type, Prio                int
	Name                      string
	Pages, InusePages, MaxMap uint64
}

// Swaps lists the swap areas in use, by type (/proc/swaps).
func (s *System) Swaps() []SwapInfo {
	var out []SwapInfo
	for t := 0; t < s.swap.nrSwapfiles; t++ {
		si := s.swap.info[t]
		if si.flags&SWP_USED == 0 || si.swapMap == nil {
			continue
		}
		out = append(out, SwapInfo{Type: t, Prio: si.prio, Name: si.name, Pages: si.pages, InusePages: si.inusePages, MaxMap: si.max})
	}
	return out
}

// SwapMapCount returns swap_map[offset] of swap type typ (for tests and
// reports), 0 for an unused type or offset.
func (s *System) SwapMapCount(typ int, offset uint64) uint8 {
	if typ < 0 || typ >= s.swap.nrSwapfiles {
		return 0
	}
	si := s.swap.info[typ]
	if offset >= uint64(len(si.swapMap)) {
		return 0
	}
	return si.swapMap[offset]
}
