// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"sort"
	"strings"
)

// The /proc files about memory, in v3.16's text formats (mm/vmstat.c,
// fs/proc/meminfo.c, mm/hugetlb.c, arch/x86/mm/pageattr.c); see
// docs/proc-formats-v3.16.md for the formats and where each value comes
// from.

// unmodeledProcFields lists, in one place, what the /proc files print as 0
// because its mechanism is not modeled yet. Tests check that these print 0
// and the README points here.
var unmodeledProcFields = []string{
	"meminfo Buffers (block-device page cache)",
	"meminfo Slab, SReclaimable, SUnreclaim (slab allocator)",
	"meminfo KernelStack, PageTables (task memory)",
	"meminfo Committed_AS (overcommit accounting)",
	"meminfo VmallocUsed, VmallocChunk (vmalloc)",
	"meminfo HugePages_* (hugetlbfs pool)",
}

// UnmodeledProcFields returns the list above.
func UnmodeledProcFields() []string { return append([]string(nil), unmodeledProcFields...) }

// ProcFiles are the paths ReadProc serves.
var ProcFiles = []string{"/proc/buddyinfo", "/proc/pagetypeinfo", "/proc/zoneinfo", "/proc/vmstat", "/proc/meminfo", "/proc/swaps"}

// ReadProc returns the text of a /proc file, as cat would show it.
func (s *System) ReadProc(path string) (string, error) {
	var b strings.Builder
	switch path {
	case "/proc/buddyinfo":
		s.procBuddyinfo(&b)
	case "/proc/pagetypeinfo":
		s.procPagetypeinfo(&b)
	case "/proc/zoneinfo":
		s.procZoneinfo(&b)
	case "/proc/vmstat":
		s.procVmstat(&b)
	case "/proc/meminfo":
		s.procMeminfo(&b)
	case "/proc/swaps":
		s.procSwaps(&b)
	default:
		return "", fmt.Errorf("%s: no such file (known: %s)", path, strings.Join(ProcFiles, ", "))
	}
	return b.String(), nil
}

// walkZonesInNode is walk_zones_in_node(): populated zones only.
func (s *System) walkZonesInNode(nd *Node, f func(z *Zone)) {
	for j := 0; j < MAX_NR_ZONES; j++ {
		if z := &nd.zones[j]; z.populatedZone() {
			f(z)
		}
	}
}

// procBuddyinfo is frag_show(): free blocks per order.
func (s *System) procBuddyinfo(b *strings.Builder) {
	for _, nd := range s.nodes {
		s.walkZonesInNode(nd, func(z *Zone) {
			fmt.Fprintf(b, "Node %d, zone %8s ", nd.ID, z.Name)
			for o := 0; o < MAX_ORDER; o++ {
				fmt.Fprintf(b, "%6d ", z.freeArea[o].nrFree)
			}
			b.WriteString("\n")
		})
	}
}

// procPagetypeinfo is pagetypeinfo_show().
func (s *System) procPagetypeinfo(b *strings.Builder) {
	for _, nd := range s.nodes {
		if nd.nodePresentPages == 0 {
			continue
		}
		fmt.Fprintf(b, "Page block order: %d\n", pageblockOrder)
		fmt.Fprintf(b, "Pages per block:  %d\n", pageblockNrPages)
		b.WriteString("\n")
		fmt.Fprintf(b, "%-43s ", "Free pages count per migrate type at order")
		for o := 0; o < MAX_ORDER; o++ {
			fmt.Fprintf(b, "%6d ", o)
		}
		b.WriteString("\n")
		s.walkZonesInNode(nd, func(z *Zone) {
			for mt := 0; mt < MIGRATE_TYPES; mt++ {
				fmt.Fprintf(b, "Node %4d, zone %8s, type %12s ", nd.ID, z.Name, migratetypeNames[mt])
				for o := 0; o < MAX_ORDER; o++ {
					n := 0
					h := z.freeArea[o].freeList[mt]
					for p := s.listFirst(h); p != uint32(h); p = s.listNext(p) {
						n++
					}
					fmt.Fprintf(b, "%6d ", n)
				}
				b.WriteString("\n")
			}
		})
		fmt.Fprintf(b, "\n%-23s", "Number of blocks type ")
		for mt := 0; mt < MIGRATE_TYPES; mt++ {
			fmt.Fprintf(b, "%12s ", migratetypeNames[mt])
		}
		b.WriteString("\n")
		s.walkZonesInNode(nd, func(z *Zone) {
			var count [MIGRATE_TYPES]int
			for pfn := z.zoneStartPFN; pfn < z.zoneEndPFN(); pfn += pageblockNrPages {
				if !s.pfnValid(pfn) || s.pfnZone(pfn) != z {
					continue
				}
				if mt := z.getPageblockMigratetype(pfn); mt < MIGRATE_TYPES {
					count[mt]++
				}
			}
			fmt.Fprintf(b, "Node %d, zone %8s ", nd.ID, z.Name)
			for mt := 0; mt < MIGRATE_TYPES; mt++ {
				fmt.Fprintf(b, "%12d ", count[mt])
			}
			b.WriteString("\n")
		})
	}
}

// zoneReclaimablePages is zone_reclaimable_pages(): file LRU pages, plus
// anon LRU pages when there is swap space left.
func (z *Zone) zoneReclaimablePages() int64 {
	nr := z.zonePageState(NR_ACTIVE_FILE) + z.zonePageState(NR_INACTIVE_FILE)
	if z.sys.nrSwapPages() > 0 {
		nr += z.zonePageState(NR_ACTIVE_ANON) + z.zonePageState(NR_INACTIVE_ANON)
	}
	return nr
}

// zoneReclaimable is zone_reclaimable(): fewer pages scanned than six times
// what could be reclaimed.
func (z *Zone) zoneReclaimable() bool {
	return int64(z.pagesScanned) < z.zoneReclaimablePages()*6
}

// procZoneinfo is zoneinfo_show().
func (s *System) procZoneinfo(b *strings.Builder) {
	for _, nd := range s.nodes {
		s.walkZonesInNode(nd, func(z *Zone) {
			fmt.Fprintf(b, "Node %d, zone %8s", nd.ID, z.Name)
			fmt.Fprintf(b, "\n  pages free     %d", z.zonePageState(NR_FREE_PAGES))
			fmt.Fprintf(b, "\n        min      %d", z.minWmarkPages())
			fmt.Fprintf(b, "\n        low      %d", z.lowWmarkPages())
			fmt.Fprintf(b, "\n        high     %d", z.highWmarkPages())
			fmt.Fprintf(b, "\n        scanned  %d", z.pagesScanned)
			fmt.Fprintf(b, "\n        spanned  %d", z.spannedPages)
			fmt.Fprintf(b, "\n        present  %d", z.presentPages)
			fmt.Fprintf(b, "\n        managed  %d", z.managedPages)
			for i := 0; i < int(NR_VM_ZONE_STAT_ITEMS); i++ {
				fmt.Fprintf(b, "\n    %-12s %d", vmstatText[i], z.zonePageState(ZoneStatItem(i)))
			}
			fmt.Fprintf(b, "\n        protection: (%d", z.lowmemReserve[0])
			for j := 1; j < MAX_NR_ZONES; j++ {
				fmt.Fprintf(b, ", %d", z.lowmemReserve[j])
			}
			b.WriteString(")")
			b.WriteString("\n  pagesets")
			for cpu := range z.pageset {
				p := &z.pageset[cpu]
				fmt.Fprintf(b, "\n    cpu: %d", cpu)
				fmt.Fprintf(b, "\n              count: %d", p.pcp.count)
				fmt.Fprintf(b, "\n              high:  %d", p.pcp.high)
				fmt.Fprintf(b, "\n              batch: %d", p.pcp.batch)
				fmt.Fprintf(b, "\n  vm stats threshold: %d", p.statThreshold)
			}
			fmt.Fprintf(b, "\n  all_unreclaimable: %d", b2i(!z.zoneReclaimable()))
			fmt.Fprintf(b, "\n  start_pfn:         %d", z.zoneStartPFN)
			fmt.Fprintf(b, "\n  inactive_ratio:    %d", z.inactiveRatio)
			b.WriteString("\n")
		})
	}
}

// procVmstat is vmstat_show(): zone items, the dirty thresholds, events.
func (s *System) procVmstat(b *strings.Builder) {
	for i := 0; i < int(NR_VM_ZONE_STAT_ITEMS); i++ {
		fmt.Fprintf(b, "%s %d\n", vmstatText[vmstatZoneStart+i], s.GlobalPageState(ZoneStatItem(i)))
	}
	// vmstat_start: global_dirty_limits for the reading task.
	var wb [NR_VM_WRITEBACK_STAT_ITEMS]uint64
	wb[NR_DIRTY_BG_THRESHOLD], wb[NR_DIRTY_THRESHOLD] = s.GlobalDirtyLimits()
	for i := 0; i < int(NR_VM_WRITEBACK_STAT_ITEMS); i++ {
		fmt.Fprintf(b, "%s %d\n", vmstatText[vmstatWritebackStart+i], wb[i])
	}
	for i := 0; i < int(NR_VM_EVENT_ITEMS); i++ {
		v := s.vmEvents[i]
		if VMEventItem(i) == PGPGIN || VMEventItem(i) == PGPGOUT {
			v /= 2 // counted in sectors, shown in KiB
		}
		fmt.Fprintf(b, "%s %d\n", vmstatText[vmstatEventStart+i], v)
	}
}

// procMeminfo is meminfo_proc_show() with hugetlb_report_meminfo() and the
// x86 arch_report_meminfo().
func (s *System) procMeminfo(b *strings.Builder) {
	K := func(pages int64) int64 { return pages << (PAGE_SHIFT - 10) }
	g := s.GlobalPageState
	line := func(label string, kb int64) { fmt.Fprintf(b, "%-16s%8d kB\n", label+":", kb) }

	var wmarkLow int64
	for _, z := range s.zones {
		wmarkLow += int64(z.lowWmarkPages())
	}
	available := g(NR_FREE_PAGES) - wmarkLow
	pagecache := g(NR_ACTIVE_FILE) + g(NR_INACTIVE_FILE)
	pagecache -= min(pagecache/2, wmarkLow)
	available += pagecache
	available += g(NR_SLAB_RECLAIMABLE) - min(g(NR_SLAB_RECLAIMABLE)/2, wmarkLow)
	available = max(available, 0)

	var buffers int64 // unmodeledProcFields
	swapcache := int64(s.totalSwapcachePages())
	freeswap, totalswap := s.siSwapinfo()
	cached := max(g(NR_FILE_PAGES)-swapcache-buffers, 0)

	line("MemTotal", K(int64(s.totalramPages)))
	line("MemFree", K(g(NR_FREE_PAGES)))
	line("MemAvailable", K(available))
	line("Buffers", K(buffers))
	line("Cached", K(cached))
	line("SwapCached", K(swapcache))
	line("Active", K(g(NR_ACTIVE_ANON)+g(NR_ACTIVE_FILE)))
	line("Inactive", K(g(NR_INACTIVE_ANON)+g(NR_INACTIVE_FILE)))
	line("Active(anon)", K(g(NR_ACTIVE_ANON)))
	line("Inactive(anon)", K(g(NR_INACTIVE_ANON)))
	line("Active(file)", K(g(NR_ACTIVE_FILE)))
	line("Inactive(file)", K(g(NR_INACTIVE_FILE)))
	line("Unevictable", K(g(NR_UNEVICTABLE)))
	line("Mlocked", K(g(NR_MLOCK)))
	line("SwapTotal", K(totalswap))
	line("SwapFree", K(freeswap))
	line("Dirty", K(g(NR_FILE_DIRTY)))
	line("Writeback", K(g(NR_WRITEBACK)))
	line("AnonPages", K(g(NR_ANON_PAGES)))
	line("Mapped", K(g(NR_FILE_MAPPED)))
	line("Shmem", K(g(NR_SHMEM)))
	line("Slab", K(g(NR_SLAB_RECLAIMABLE)+g(NR_SLAB_UNRECLAIMABLE)))
	line("SReclaimable", K(g(NR_SLAB_RECLAIMABLE)))
	line("SUnreclaim", K(g(NR_SLAB_UNRECLAIMABLE)))
	line("KernelStack", g(NR_KERNEL_STACK)*16)
	line("PageTables", K(g(NR_PAGETABLE)))
	line("NFS_Unstable", K(g(NR_UNSTABLE_NFS)))
	line("Bounce", K(g(NR_BOUNCE)))
	line("WritebackTmp", K(g(NR_WRITEBACK_TEMP)))
	// vm_commit_limit(): overcommit_ratio 50 of RAM plus swap.
	line("CommitLimit", K(int64(s.totalramPages)*50/100+s.swap.totalSwapPages))
	line("Committed_AS", 0)
	line("VmallocTotal", 34359738367)
	line("VmallocUsed", 0)
	line("VmallocChunk", 0)
	line("AnonHugePages", K(g(NR_ANON_TRANSPARENT_HUGEPAGES)*512))
	fmt.Fprintf(b, "HugePages_Total:   %5d\n", 0)
	fmt.Fprintf(b, "HugePages_Free:    %5d\n", 0)
	fmt.Fprintf(b, "HugePages_Rsvd:    %5d\n", 0)
	fmt.Fprintf(b, "HugePages_Surp:    %5d\n", 0)
	line("Hugepagesize", 2048)
	d4k, d2m, d1g := s.directMapCounts()
	line("DirectMap4k", d4k<<2)
	line("DirectMap2M", d2m<<11)
	line("DirectMap1G", d1g<<20)
}

// directMapCounts counts the direct-mapping entries by size the way
// init_mem_mapping() creates them: the ISA range in 4K pages, then each RAM
// range split by split_mem_range() into 4K head, 2M, 1G (direct_gbpages),
// 2M and 4K tail.
//
// Model: later splits of large mappings (set_memory_ro/nx on kernel text and
// data) are not modeled.
func (s *System) directMapCounts() (n4k, n2m, n1g int64) {
	const (
		k4 = 1
		m2 = 512
		g1 = 512 * 512
	)
	n4k += 0x100000 >> PAGE_SHIFT // [0, ISA_END_ADDRESS)
	ranges := append([]pfnRange(nil), s.mb.memory[1:]...)
	sort.Slice(ranges, func(i, j int) bool { return ranges[i].start < ranges[j].start })
	for _, r := range ranges {
		start, end := r.start, r.end
		up := func(x, a uint64) uint64 { return (x + a - 1) &^ (a - 1) }
		down := func(x, a uint64) uint64 { return x &^ (a - 1) }
		head2m := min(up(start, m2), end)
		n4k += int64(head2m - start)
		start = head2m
		head1g := min(up(start, g1), down(end, m2))
		if head1g > start {
			n2m += int64((head1g - start) / m2)
			start = head1g
		}
		mid := down(end, g1)
		if mid > start {
			n1g += int64((mid - start) / g1)
			start = mid
		}
		tail2m := down(end, m2)
		if tail2m > start {
			n2m += int64((tail2m - start) / m2)
			start = tail2m
		}
		n4k += int64(end - start)
	}
	return
}

// procSwaps is /proc/swaps (swap_show, mm/swapfile.c): a header, then each
// swap area in use by type: its path padded to 40 columns, its kind, size
// and use in KiB, and its priority.
func (s *System) procSwaps(b *strings.Builder) {
	b.WriteString("Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n")
	for _, si := range s.Swaps() {
		pad := 1
		if len(si.Name) < 40 {
			pad = 40 - len(si.Name)
		}
		fmt.Fprintf(b, "%s%*s%s\t%d\t%d\t%d\n", si.Name, pad, " ", "partition",
			si.Pages<<(PAGE_SHIFT-10), si.InusePages<<(PAGE_SHIFT-10), si.Prio)
	}
}
