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
