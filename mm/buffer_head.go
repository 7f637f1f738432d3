// SPDX-License-Identifier: GPL-2.0-only

package mm

// The buffer-head layer (fs/buffer.c) as the VM sees it. Buffer heads
// themselves live in package fs; mm calls try_to_free_buffers on pages it
// holds (whatever their mapping: an orphaned page has none), and reads
// buffer_heads_over_limit, which fs/buffer.c keeps from a per-CPU count of
// live buffer heads.

// BufferLayer is what mm calls in fs/buffer.c. fs.New registers it.
type BufferLayer interface {
	// TryToFreeBuffers is try_to_free_buffers(): drop the locked page's
	// buffers if none is busy; true if it has none left.
	TryToFreeBuffers(pfn uint64) bool
}

// SetBufferLayer registers fs/buffer.c's try_to_free_buffers.
func (s *System) SetBufferLayer(b BufferLayer) { s.bh.layer = b }

// tryToFreeBuffers is try_to_free_buffers(). Only a filesystem attaches
// buffers, so on a System without one (mm's own tests) no page has any.
func (s *System) tryToFreeBuffers(pfn uint64) bool {
	s.Cover("try_to_free_buffers")
	if s.bh.layer == nil {
		return false
	}
	return s.bh.layer.TryToFreeBuffers(pfn)
}

// sizeofBufferHead is sizeof(struct buffer_head) on x86-64 in v3.16.
const sizeofBufferHead = 104

// bhState is fs/buffer.c's buffer-head accounting: max_buffer_heads,
// buffer_heads_over_limit, and the per-CPU struct bh_accounting.
type bhState struct {
	layer     BufferLayer
	max       uint64
	overLimit bool
	nr        []int // by CPU: live buffer heads allocated minus freed there
	ratelimit []int // by CPU
}

// bufferInit is buffer_init(): buffer heads may take a tenth of the pages
// GFP_USER can use. start_kernel calls it (from vfs_caches_init) before
// init_per_zone_wmark_min has set any watermark, so nr_free_buffer_pages
// is then every managed page of those zones.
func (s *System) bufferInit() {
	nrpages := s.nrFreeBufferPages() * 10 / 100
	s.bh.max = nrpages * (PAGE_SIZE / sizeofBufferHead)
	s.bh.nr = make([]int, s.cfg.CPUs)
	s.bh.ratelimit = make([]int, s.cfg.CPUs)
}

// recalcBHState is recalc_bh_state(): every 4096th allocation or free on a
// CPU, buffer_heads_over_limit is recomputed from all CPUs' counts.
func (s *System) recalcBHState() {
	cpu := s.smpProcessorID()
	s.bh.ratelimit[cpu]++
	if s.bh.ratelimit[cpu]-1 < 4096 {
		return
	}
	s.bh.ratelimit[cpu] = 0
	tot := 0
	for _, n := range s.bh.nr {
		tot += n
	}
	s.bh.overLimit = uint64(tot) > s.bh.max // int compared as unsigned long
}

// BufferHeadAllocated is alloc_buffer_head()'s accounting: fs calls it for
// each buffer head it allocates.
func (s *System) BufferHeadAllocated() {
	s.bh.nr[s.smpProcessorID()]++
	s.recalcBHState()
}

// BufferHeadFreed is free_buffer_head()'s accounting.
func (s *System) BufferHeadFreed() {
	s.bh.nr[s.smpProcessorID()]--
	s.recalcBHState()
}

// bufferHeadsOverLimit is buffer_heads_over_limit.
func (s *System) bufferHeadsOverLimit() bool { return s.bh.overLimit }

// CancelDirtyPage is cancel_dirty_page(), for try_to_free_buffers.
func (s *System) CancelDirtyPage(pfn uint64) { s.cancelDirtyPage(pfn) }
