// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"pagesim/mm"
	"pagesim/prog"
)

// Sanitize makes p's kernel-internal calls keep the contract of the
// kernel API they stand for, as syzkaller's sanitizeCall does, and
// returns p. A driver that frees a block twice, asks for order ≥
// MAX_ORDER without __GFP_NOWARN, or passes __GFP_NOFAIL where the
// allocator forbids it has a bug of its own; the kernel reports it
// (VM_BUG_ON_PAGE, bad_page, WARN_ON_ONCE), but it says nothing about
// mm, and a campaign that finds it in every run would find nothing else.
// The vm sysctls stay where an administrator would set them (sanitizeSysctl).
// System calls are left alone: any argument to them is fair.
func Sanitize(p *prog.Program) *prog.Program {
	freed := map[int]bool{}
	kept := p.Calls[:0]
	for _, c := range p.Calls {
		switch c.Name {
		case "alloc_pages":
			if len(c.Args) >= 2 && c.Args[0].Kind == prog.ArgNum && c.Args[1].Kind == prog.ArgNum {
				c.Args[1].Val = uint64(sanitizeGFP(uint(c.Args[0].Val), mm.GFP(c.Args[1].Val)))
			}
		case "sysctl":
			if len(c.Args) == 2 && c.Args[1].Kind == prog.ArgNum {
				c.Args[1].Val = uint64(sanitizeSysctl(c.Args[0].Str, int64(c.Args[1].Val), p.Header.Mem))
			}
		case "free_pages":
			if len(c.Args) == 1 && c.Args[0].Kind == prog.ArgRes {
				if freed[c.Args[0].Res] {
					continue // __free_pages of a block already freed
				}
				freed[c.Args[0].Res] = true
			}
		}
		kept = append(kept, c)
	}
	p.Calls = kept
	return p
}

// sanitizeSysctl keeps a vm sysctl out of the settings that make the
// machine crawl by design: dirty limits of a few pages (vm.dirty_bytes may
// be 8192, vm.dirty_ratio 0) keep global dirty pages at the hard limit, so
// every dirtier is paused in balance_dirty_pages every page or so. With
// the model's global-only throttling that once meant 200 ms a page and
// hung tasks behind i_mutex; with v3.16's per-bdi throttling a writer to
// a fast disk is paused a jiffy a page, but a write fault on a shared
// file mapping can still pause while the flusher cleans and write-protects
// the page again, over and over (a 60 s v4.5 campaign without this limit
// found that with vm.dirty_ratio=0). Values the kernel refuses stay (they
// are EINVAL).
func sanitizeSysctl(name string, v int64, mem uint64) int64 {
	if mem == 0 {
		mem = 1 << 30
	}
	switch name {
	case "vm.dirty_ratio", "vm.dirty_background_ratio":
		if v >= 0 && v < 5 {
			return 5
		}
	case "vm.dirty_bytes":
		if v >= 8192 && v < 1<<20 { // below 2 pages is EINVAL
			return 1 << 20
		}
	case "vm.dirty_background_bytes":
		if v >= 1 && v < 1<<20 {
			return 1 << 20
		}
	case "vm.min_free_kbytes":
		if limit := minFreeKbytesLimit(mem); v > limit {
			return limit
		}
	}
	return v
}

// minFreeKbytesLimit is the largest vm.min_free_kbytes the fuzzer sets,
// 1/16 of memory (in KiB). A reserve near the machine's size leaves
// nothing to run in: v3.16 then livelocks (direct reclaim throttled
// forever while kswapd cannot balance), which sim's watchdog reports as a
// hang. That is root misconfiguring the machine, not an mm bug.
func minFreeKbytesLimit(mem uint64) int64 { return int64(mem >> 14) }

// sanitizeGFP is gfp with the bits the allocator would WARN or BUG about
// for this order taken out (or __GFP_NOWARN added, where it says "this
// caller expects to fail").
func sanitizeGFP(order uint, gfp mm.GFP) mm.GFP {
	if order >= mm.MAX_ORDER {
		gfp |= mm.GFP_NOWARN // __alloc_pages_slowpath's WARN_ON_ONCE
	}
	if order > 1 || gfp&mm.GFP_WAIT == 0 {
		gfp &^= mm.GFP_NOFAIL // buffered_rmqueue's and the slowpath's WARN_ON_ONCE
	}
	if gfp&mm.GFP_MOVABLE != 0 {
		gfp &^= mm.GFP_RECLAIMABLE // allocflags_to_migratetype's WARN_ON
	}
	// GFP_ZONE_BAD: at most one of __GFP_DMA, __GFP_HIGHMEM and
	// __GFP_DMA32 (each may go with __GFP_MOVABLE).
	if gfp&mm.GFP_DMA != 0 {
		gfp &^= mm.GFP_HIGHMEM | mm.GFP_DMA32
	}
	if gfp&mm.GFP_HIGHMEM != 0 {
		gfp &^= mm.GFP_DMA32
	}
	return gfp
}
