// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"pagesim/klog"
	"pagesim/sim"
)

// Boot brings up memory management the way start_kernel does on x86_64:
// the e820 map and memblock reservations (setup_arch), node and zone sizing
// (free_area_init_nodes), the memmap (memmap_init_zone), zonelists
// (build_all_zonelists), handing free memory to the buddy allocator
// (free_all_bootmem), the per-CPU pagesets (setup_per_cpu_pageset), and the
// watermarks and reserves (init_per_zone_wmark_min).
func Boot(cfg Config, env Env) (*System, error) {
	if cfg.KernelImageBytes == 0 {
		cfg.KernelImageBytes = DefaultKernelImageBytes
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	s := &System{
		cfg:                cfg,
		log:                env.Log,
		sched:              env.Sched,
		clock:              env.Clock,
		bootTask:           &sim.Task{PID: 0, Comm: "swapper/0"},
		lowmemReserveRatio: [MAX_NR_ZONES - 1]int{256, 256, 32},
		userMinFreeKbytes:  cfg.MinFreeKbytes,
		onCPUID:            -1,
		// anon_vma id 0 is never used: mapping 1 would mean "anon, no
		// anon_vma".
		anonVmas:  []*AnonVMA{nil},
		mappings:  []*AddressSpace{nil},
		radixSlab: NewRadixNodeSlab(),
		dirty:     DefaultDirtySysctls,
		// vm.swappiness
		vmSwappiness: 60,
		memdie:       map[*sim.Task]bool{},
		// v3.16 as released, unless the kernel package says otherwise.
		patches: map[string]bool{PatchPutNewPage: true, PatchClearSwapBacked: true},
		sigkill: map[*sim.Task]bool{},
	}
	if env.Sched != nil {
		s.trackCurrent(env.Sched.Current())
		env.Sched.OnSwitch(s.trackCurrent)
	} else {
		s.trackCurrent(nil)
	}
	s.mb.memory = e820Usable(cfg.MemBytes)
	s.maxPFN = s.mb.memory[len(s.mb.memory)-1].end
	// The memmap: one frame per PFN up to max_pfn, holes included, so that
	// PFN arithmetic needs no lookup (frames of absent sections stay zero
	// and pfn_valid() says they do not exist).
	s.pages = getMemmap(s.maxPFN)

	nodeMem := s.splitNodes()
	s.markPresentSections()
	s.cpuNode = make([]int, cfg.CPUs)
	for cpu := range s.cpuNode {
		// CPUs are spread evenly, in blocks, over the nodes.
		s.cpuNode[cpu] = cpu * cfg.Nodes / cfg.CPUs
	}
	s.reserveEarly(nodeMem)
	s.freeAreaInitNodes(nodeMem)
	s.buildAllZonelists()
	s.initLRU()
	s.freeAllBootmem()
	s.setupPerCPUPageset()
	s.bufferInit()
	s.initPerZoneWmarkMin()
	s.swapSetup()
	s.pageWritebackInit()
	return s, nil
}

// splitNodes assigns RAM to nodes in physical order, an equal share each
// (rounded down to a section), the last node taking the remainder, and
// returns each node's usable ranges.
//
// Model: like QEMU's -numa node,mem= with equal sizes; the SRAT distances are
// 10 local and 20 remote.
func (s *System) splitNodes() [][]pfnRange {
	n := uint64(s.cfg.Nodes)
	total := uint64(0)
	for _, r := range s.mb.memory {
		total += r.pages()
	}
	// Shares count RAM bytes from address 0 as the firmware does: the
	// conventional-memory hole and page 0 belong to node 0's share.
	share := (s.cfg.MemBytes >> PAGE_SHIFT) / n &^ (pagesPerSection - 1)
	out := make([][]pfnRange, n)
	low := s.mb.memory[1].end // top of RAM below 4 GiB
	offsetToPFN := func(off uint64) uint64 {
		if off < low {
			return off
		}
		return maxDMA32PFN + off - low
	}
	for nid := uint64(0); nid < n; nid++ {
		lo := offsetToPFN(nid * share)
		hi := s.maxPFN
		if nid < n-1 {
			hi = offsetToPFN((nid + 1) * share)
		}
		for _, r := range s.mb.memory {
			a, b := max(r.start, lo), min(r.end, hi)
			if b > a {
				out[nid] = append(out[nid], pfnRange{a, b})
			}
		}
	}
	return out
}

// markPresentSections is memory_present() for every memblock region.
func (s *System) markPresentSections() {
	s.sectionPresent = make([]bool, (s.maxPFN+pagesPerSection-1)/pagesPerSection)
	for _, r := range s.mb.memory {
		for sec := r.start / pagesPerSection; sec <= (r.end-1)/pagesPerSection; sec++ {
			s.sectionPresent[sec] = true
		}
	}
}

// reserveEarly makes the memblock reservations of setup_arch and sparse_init
// that the model keeps: the low 64 KiB, the real-mode trampoline, the kernel
// image at 16 MiB, and each node's vmemmap (2 MiB of struct pages per
// present section, allocated top-down from the node's memory above 16 MiB).
//
// Model: page tables of the direct mapping, per-CPU areas, the large system
// hashes, log_buf, the pageblock bitmaps and node_data are not reserved; the
// kernel's init sections are never freed back.
func (s *System) reserveEarly(nodeMem [][]pfnRange) {
	s.mb.reserve(pfnRange{0, reserveLowPFN})
	s.mb.allocTopDown(realModePages, 1, 0, 0x100000>>PAGE_SHIFT)
	s.mb.reserve(pfnRange{kernelPhysStart, kernelPhysStart + s.cfg.KernelImageBytes>>PAGE_SHIFT})
	const memmapPagesPerSection = pagesPerSection * SizeofStructPage / PAGE_SIZE
	for _, ranges := range nodeMem {
		sections := map[uint64]bool{}
		for _, r := range ranges {
			for sec := r.start / pagesPerSection; sec <= (r.end-1)/pagesPerSection; sec++ {
				sections[sec] = true
			}
		}
		lo := max(ranges[0].start, uint64(maxDMAPFN))
		hi := ranges[len(ranges)-1].end
		s.mb.allocTopDown(uint64(len(sections))*memmapPagesPerSection, 2<<20>>PAGE_SHIFT, lo, hi)
	}
}

// archZoneRange gives arch_zone_lowest/highest_possible_pfn for a zone.
func (s *System) archZoneRange(j int) (uint64, uint64) {
	switch j {
	case ZONE_DMA:
		return s.mb.memory[0].start, maxDMAPFN
	case ZONE_DMA32:
		return maxDMAPFN, maxDMA32PFN
	case ZONE_NORMAL:
		return maxDMA32PFN, max(s.maxPFN, maxDMA32PFN)
	}
	return 0, 0
}

// findZoneMovablePFNsForNodes is find_zone_movable_pfns_for_nodes() for
// movablecore=: it returns, per node, the PFN from which the node's memory
// in the highest populated zone becomes ZONE_MOVABLE (0 for none).
//
// Model: v3.16 spreads the remaining kernelcore evenly over the nodes walking
// each node's ranges upwards; the model takes an equal share of movablecore
// from the top of each node's memory in the movable-usable zone, which gives
// the same split on the evenly sized nodes pagesim builds. Like the kernel
// it rounds the start up to MAX_ORDER_NR_PAGES.
func (s *System) findZoneMovablePFNsForNodes(nodeMem [][]pfnRange) []uint64 {
	out := make([]uint64, len(nodeMem))
	if s.cfg.MovableCoreBytes == 0 {
		return out
	}
	// find_usable_zone_for_movable: the highest zone with any memory.
	usable := ZONE_DMA
	for j := ZONE_NORMAL; j > ZONE_DMA; j-- {
		lo, hi := s.archZoneRange(j)
		if s.mb.presentIn(lo, hi) > 0 {
			usable = j
			break
		}
	}
	zoneLo, _ := s.archZoneRange(usable)
	perNode := (s.cfg.MovableCoreBytes >> PAGE_SHIFT) / uint64(len(nodeMem))
	for nid, ranges := range nodeMem {
		need := perNode
		pfn := uint64(0)
		for i := len(ranges) - 1; i >= 0 && need > 0; i-- {
			r := ranges[i]
			start := max(r.start, zoneLo)
			if r.end <= start {
				continue
			}
			take := min(need, r.end-start)
			pfn = r.end - take
			need -= take
		}
		if pfn != 0 {
			pfn = (pfn + MAX_ORDER_NR_PAGES - 1) &^ (MAX_ORDER_NR_PAGES - 1)
			if pfn < ranges[len(ranges)-1].end {
				out[nid] = pfn
			}
		}
	}
	return out
}

// freeAreaInitNodes is free_area_init_nodes(): size nodes and zones, set up
// free lists and the memmap.
func (s *System) freeAreaInitNodes(nodeMem [][]pfnRange) {
	movablePFN := s.findZoneMovablePFNsForNodes(nodeMem)
	dmaReserve := s.mb.reservedIn(0, maxDMAPFN)
	s.nodeLoad = make([]int, len(nodeMem))
	for nid, ranges := range nodeMem {
		nd := &Node{ID: nid}
		s.nodes = append(s.nodes, nd)
		nodeStart, nodeEnd := ranges[0].start, ranges[len(ranges)-1].end
		nd.nodeStartPFN = nodeStart
		nd.nodeSpannedPages = nodeEnd - nodeStart
		present := func(lo, hi uint64) uint64 {
			var n uint64
			for _, r := range ranges {
				a, b := max(r.start, lo), min(r.end, hi)
				if b > a {
					n += b - a
				}
			}
			return n
		}
		var totalPages uint64
		for j := 0; j < MAX_NR_ZONES; j++ {
			z := &nd.zones[j]
			z.sys, z.node, z.idx, z.Name = s, nd, j, zoneNames[j]
			var lo, hi uint64
			if j == ZONE_MOVABLE {
				if movablePFN[nid] != 0 {
					lo, hi = movablePFN[nid], nodeEnd
				}
			} else {
				// zone_spanned_pages_in_node, clamped to the node and
				// adjusted for ZONE_MOVABLE.
				alo, ahi := s.archZoneRange(j)
				lo, hi = max(alo, nodeStart), min(ahi, nodeEnd)
				if m := movablePFN[nid]; m != 0 {
					if lo < m && hi > m {
						hi = m
					} else if lo >= m {
						hi = lo
					}
				}
			}
			if hi <= lo {
				lo, hi = 0, 0
			}
			z.zoneStartPFN = lo
			z.spannedPages = hi - lo
			z.presentPages = present(lo, hi)
			totalPages += z.presentPages
		}
		nd.nodePresentPages = totalPages
		s.logf(klog.KernDebug, "On node %d totalpages: %d\n", nid, totalPages)
		for j := 0; j < MAX_NR_ZONES; j++ {
			z := &nd.zones[j]
			s.freeAreaInitZone(z, j == ZONE_DMA && nid == 0, dmaReserve)
			s.zones = append(s.zones, z)
			// init_currently_empty_zone: nr_zones is one past the
			// highest zone with a span.
			if z.spannedPages != 0 {
				nd.nrZones = j + 1
			}
		}
		nd.classzoneIdx = nd.nrZones - 1
	}
}

// freeAreaInitZone is the per-zone body of free_area_init_core() with
// memmap_init_zone().
func (s *System) freeAreaInitZone(z *Zone, firstDMA bool, dmaReserve uint64) {
	// calc_memmap_size: with sparsemem and a zone much larger than its
	// present pages, charge only the present pages.
	memmapBase := z.spannedPages
	if z.spannedPages > z.presentPages+z.presentPages>>4 {
		memmapBase = z.presentPages
	}
	memmapPages := (memmapBase*SizeofStructPage + PAGE_SIZE - 1) / PAGE_SIZE
	freesize := z.presentPages
	if freesize >= memmapPages {
		freesize -= memmapPages
		if memmapPages != 0 {
			s.logf(klog.KernDebug, "  %s zone: %d pages used for memmap\n", z.Name, memmapPages)
		}
	} else {
		s.logf(klog.KernWarning, "  %s zone: %d pages exceeds freesize %d\n", z.Name, memmapPages, freesize)
	}
	if firstDMA && freesize > dmaReserve {
		freesize -= dmaReserve
		s.logf(klog.KernDebug, "  %s zone: %d pages reserved\n", z.Name, dmaReserve)
	}
	// An estimate until free_all_bootmem counts the real managed pages.
	z.managedPages = freesize
	z.inactiveRatio = 0
	for i := range z.freeArea {
		for mt := range z.freeArea[i].freeList {
			z.freeArea[i].freeList[mt] = s.newListHead()
		}
	}
	// zone_pcp_init: every CPU starts on boot_pageset (high 0, batch 1), so
	// frees go straight through to the buddy lists.
	z.pageset = make([]perCPUPageset, s.cfg.CPUs)
	for cpu := range z.pageset {
		pcp := &z.pageset[cpu].pcp
		for mt := range pcp.lists {
			pcp.lists[mt] = s.newListHead()
		}
		pcp.high, pcp.batch = 0, 1
	}
	if z.presentPages != 0 {
		s.logf(klog.KernDebug, "  %s zone: %d pages, LIFO batch:%d\n", z.Name, z.presentPages, zoneBatchsize(z))
	}
	// For bootup; __setup_per_zone_wmarks sets it properly.
	z.modZonePageState(NR_ALLOC_BATCH, int64(z.managedPages))
	if z.spannedPages == 0 {
		return
	}
	// setup_usemap: the pageblock bitmap covers the span rounded out to
	// whole pageblocks.
	first := z.zoneStartPFN &^ (pageblockNrPages - 1)
	nblocks := (z.zoneEndPFN() - first + pageblockNrPages - 1) / pageblockNrPages
	z.pageblockFlags = make([]uint8, nblocks)
	s.memmapInitZone(z)
}

// memmapInitZone is memmap_init_zone(MEMMAP_EARLY): every valid frame of the
// zone gets its zone and node links, _count 1, _mapcount -1, a reset cpupid
// and PG_reserved; every pageblock starts MIGRATE_MOVABLE.
func (s *System) memmapInitZone(z *Zone) {
	nid := z.node.ID
	for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn++ {
		if !s.pfnValid(pfn) {
			continue
		}
		p := &s.pages[pfn]
		p.setPageLinks(z.idx, nid)
		p.count = 1
		p.pageMapcountReset()
		p.pageCpupidResetLast()
		p.setFlag(PG_reserved)
		if pfn&(pageblockNrPages-1) == 0 {
			z.setPageblockMigratetype(pfn, MIGRATE_MOVABLE)
		}
	}
}

// freeAllBootmem is free_all_bootmem(): managed pages are recounted from
// zero as every free memblock range is handed to the buddy allocator in
// ascending order, in the largest naturally aligned chunks
// (__free_pages_memory).
func (s *System) freeAllBootmem() {
	for _, z := range s.zones {
		z.managedPages = 0
	}
	var count uint64
	for _, r := range s.mb.freeRanges() {
		start := r.start
		for start < r.end {
			order := uint(MAX_ORDER - 1)
			if start != 0 {
				if tz := uint(trailingZeros64(start)); tz < order {
					order = tz
				}
			}
			for start+1<<order > r.end {
				order--
			}
			s.freePagesBootmem(start, order)
			start += 1 << order
			count += 1 << order
		}
	}
	s.totalramPages = count
}

// freePagesBootmem is __free_pages_bootmem().
func (s *System) freePagesBootmem(pfn uint64, order uint) {
	n := uint64(1) << order
	for i := uint64(0); i < n; i++ {
		p := &s.pages[pfn+i]
		p.clearFlag(PG_reserved)
		p.count = 0
	}
	s.pfnZone(pfn).managedPages += n
	s.pages[pfn].count = 1 // set_page_refcounted
	s.FreePages(pfn, order)
}

// setupPerCPUPageset is setup_per_cpu_pageset(): real pagesets for every
// populated zone, sized from its managed pages.
func (s *System) setupPerCPUPageset() {
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		for cpu := range z.pageset {
			pageset := &z.pageset[cpu]
			pageset.pcp.count = 0
			z.pagesetSetHighAndBatch(pageset)
		}
	}
}

// zoneBatchsize is zone_batchsize(): about a thousandth of the zone, at most
// 512 KiB, a quarter of that, then clamped to 2^n - 1.
func zoneBatchsize(z *Zone) int {
	batch := int(z.managedPages / 1024)
	if batch*PAGE_SIZE > 512*1024 {
		batch = 512 * 1024 / PAGE_SIZE
	}
	batch /= 4
	if batch < 1 {
		batch = 1
	}
	return roundDownPowOfTwo(batch+batch/2) - 1
}

// pagesetSetHighAndBatch is pageset_set_high_and_batch() with
// percpu_pagelist_fraction 0: pageset_set_batch(zone_batchsize).
func (z *Zone) pagesetSetHighAndBatch(p *perCPUPageset) {
	batch := zoneBatchsize(z)
	p.pcp.high = 6 * batch
	p.pcp.batch = max(1, batch)
}
