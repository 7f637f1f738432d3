// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/readahead.c: on-demand readahead. A file's read state grows its window
// as reads stay sequential; the page at the window's async mark carries
// PG_readahead, and reading it starts the next window.
//
// Model: readahead for random or interleaved streams (the
// try_context_readahead history lookup) and the thrashing back-off are not
// modeled: a read that is not the window's continuation starts a new initial
// window.

// VM_MAX_READAHEAD is 128 KiB: ra_pages is 32.
const VM_MAX_READAHEAD_PAGES = 128 << 10 >> PAGE_SHIFT

// FileRAState is struct file_ra_state.
type FileRAState struct {
	Start, Size, AsyncSize uint64
	RAPages                uint64
	PrevPos                int64
	// MmapMiss counts mmap faults that missed the cache.
	MmapMiss uint64
}

// NewFileRAState is file_ra_state_init().
func NewFileRAState() FileRAState {
	return FileRAState{RAPages: VM_MAX_READAHEAD_PAGES, PrevPos: -1}
}

// getInitRASize is get_init_ra_size().
func getInitRASize(size, max uint64) uint64 {
	n := uint64(1)
	for n < size {
		n <<= 1
	}
	switch {
	case n <= max/32:
		n *= 4
	case n <= max/4:
		n *= 2
	default:
		n = max
	}
	return n
}

// getNextRASize is get_next_ra_size().
func getNextRASize(ra *FileRAState, max uint64) uint64 {
	cur := ra.Size
	var n uint64
	if cur < max/16 {
		n = 4 * cur
	} else {
		n = 2 * cur
	}
	return min(n, max)
}

// __doPageCacheReadahead is __do_page_cache_readahead(): allocate the
// pages of [offset, offset+nr) not already cached (cold, allowed to fail),
// mark the one lookahead from the end PG_readahead, and start reading them.
func (s *System) __doPageCacheReadahead(m *AddressSpace, offset, nr, lookahead uint64) int {
	s.Cover("__do_page_cache_readahead")
	isize := m.Host.ISize()
	if isize == 0 {
		return 0
	}
	endIndex := uint64(isize-1) >> PAGE_SHIFT
	var pages []uint64
	for i := uint64(0); i < nr; i++ {
		idx := offset + i
		if idx > endIndex {
			break
		}
		if e, ok := m.tree.Lookup(idx); ok && !RadixTreeExceptionalEntry(e) {
			continue
		}
		pfn, ok := s.pageCacheAlloc(GFP_HIGHUSER_MOVABLE | GFP_COLD | GFP_NORETRY | GFP_NOWARN)
		if !ok {
			break
		}
		s.pages[pfn].index = idx
		if i == nr-lookahead {
			s.pages[pfn].setFlag(PG_readahead)
		}
		pages = append(pages, pfn)
	}
	if len(pages) > 0 {
		s.readPages(m, pages)
	}
	return len(pages)
}

// readPages is read_pages() (mm/readahead.c): under a block plug, add
// each page to the page cache and ->readpage it, so that the reads of
// contiguous blocks merge into few requests.
//
// Model: ext4's and xfs's ->readpages (mpage_readpages) build multi-page
// bios; the model reads page by page, and the plug merges the one-block
// bios into the same requests.
func (s *System) readPages(m *AddressSpace, pages []uint64) {
	var plug BlkPlug
	s.BlkStartPlug(&plug)
	for _, pfn := range pages {
		if err := s.AddToPageCacheLRU(pfn, m, s.pages[pfn].index); err == nil {
			m.Ops.Readpage(s, pfn)
		}
		s.PutPage(pfn)
	}
	s.BlkFinishPlug(&plug)
}

// ondemandReadahead is ondemand_readahead().
func (s *System) ondemandReadahead(m *AddressSpace, ra *FileRAState, hitReadahead bool, offset, reqSize uint64) {
	s.Cover("ondemand_readahead")
	max := ra.RAPages
	switch {
	case offset == 0:
		goto initial
	case offset == ra.Start+ra.Size-ra.AsyncSize || offset == ra.Start+ra.Size:
		// The expected continuation: ramp the window up.
		ra.Start += ra.Size
		ra.Size = getNextRASize(ra, max)
		ra.AsyncSize = ra.Size
		goto readit
	case hitReadahead:
		// A marker of a window we lost track of.
		ra.Start = offset
		ra.Size = getNextRASize(&FileRAState{Size: reqSize}, max)
		ra.AsyncSize = ra.Size
		goto readit
	case reqSize > max:
		goto initial
	case offset-uint64(ra.PrevPos>>PAGE_SHIFT) <= 1 && ra.PrevPos >= 0:
		goto initial
	default:
		// Random read: just what was asked for.
		s.__doPageCacheReadahead(m, offset, reqSize, 0)
		return
	}
initial:
	ra.Start = offset
	ra.Size = getInitRASize(reqSize, max)
	if ra.Size > reqSize {
		ra.AsyncSize = ra.Size - reqSize
	} else {
		ra.AsyncSize = ra.Size
	}
readit:
	s.__doPageCacheReadahead(m, ra.Start, ra.Size, ra.AsyncSize)
}

// pageCacheSyncReadahead is page_cache_sync_readahead().
func (s *System) pageCacheSyncReadahead(m *AddressSpace, ra *FileRAState, offset, reqSize uint64) {
	if ra.RAPages == 0 {
		return
	}
	s.ondemandReadahead(m, ra, false, offset, reqSize)
}

// pageCacheAsyncReadahead is page_cache_async_readahead(): the reader hit
// the PG_readahead page; clear the mark and read the next window, unless
// the page is still being written back (then readahead would only thrash)
// or the device's read queue is congested (bdi_read_congested: the
// readahead is put off, and with the mark gone, not retried from here).
func (s *System) pageCacheAsyncReadahead(m *AddressSpace, ra *FileRAState, pfn, offset, reqSize uint64) {
	if ra.RAPages == 0 || s.pages[pfn].PageWriteback() {
		return
	}
	s.pages[pfn].clearFlag(PG_readahead)
	if m.BDI.bdiReadCongested() {
		s.Cover("page_cache_async_readahead:read_congested")
		return
	}
	s.ondemandReadahead(m, ra, true, offset, reqSize)
}
