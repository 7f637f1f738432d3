// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"strconv"
	"strings"

	"pagesim/klog"
)

// show_mem() and what it prints (lib/show_mem.c, mm/page_alloc.c
// show_free_areas, mm/hugetlb.c hugetlb_show_meminfo, mm/swap_state.c
// show_swap_cache_info), for the OOM report and warn_alloc_failed. Nothing
// here runs unless a report prints.

// SHOW_MEM_FILTER_NODES: show only the nodes current may allocate from.
const SHOW_MEM_FILTER_NODES = 0x0001

// showMem is show_mem() (lib/show_mem.c): "Mem-Info:", the free areas,
// then the page totals of every populated zone.
//
// Model: as in v3.16, "pages reserved" is the present minus managed pages
// of the last populated zone, not a sum (the loop assigns it). No zone is
// highmem (CONFIG_HIGHMEM=n); CONFIG_QUICKLIST and CONFIG_MEMORY_FAILURE
// are off, so their lines are not printed.
func (s *System) showMem(filter uint) {
	if s.log == nil {
		return
	}
	s.logf(klog.KernCont, "Mem-Info:\n")
	s.showFreeAreas(filter)
	var total, reserved, highmem uint64
	for _, z := range s.populatedZones() {
		total += z.presentPages
		reserved = z.presentPages - z.managedPages
	}
	s.logf(klog.KernCont, "%d pages RAM\n", total)
	s.logf(klog.KernCont, "%d pages HighMem/MovableOnly\n", highmem)
	s.logf(klog.KernCont, "%d pages reserved\n", reserved)
}

// nodesWithMemory is node_states[N_MEMORY]: every node with present pages.
func (s *System) nodesWithMemory() []int {
	var nids []int
	for _, nd := range s.nodes {
		if nd.nodePresentPages != 0 {
			nids = append(nids, nd.ID)
		}
	}
	return nids
}

// cpusetMemsAllowed is current->mems_allowed: every task runs in the root
// cpuset, whose mems are node_states[N_MEMORY] (kernel_init_freeable's
// set_mems_allowed, inherited by every task).
func (s *System) cpusetMemsAllowed() []int { return s.nodesWithMemory() }

// skipFreeAreasNode is skip_free_areas_node(): with SHOW_MEM_FILTER_NODES,
// a node outside current's mems_allowed is not shown.
func (s *System) skipFreeAreasNode(filter uint, nid int) bool {
	if filter&SHOW_MEM_FILTER_NODES == 0 {
		return false
	}
	for _, n := range s.cpusetMemsAllowed() {
		if n == nid {
			return false
		}
	}
	return true
}

// nodelistString is nodelist_scnprintf() (bitmap_scnlistprintf): the
// nodes as a list of ranges, "0", "0-1", "0,2-3".
func nodelistString(nids []int) string {
	var b strings.Builder
	for i := 0; i < len(nids); {
		j := i
		for j+1 < len(nids) && nids[j+1] == nids[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(nids[i]))
		if j > i {
			b.WriteString("-" + strconv.Itoa(nids[j]))
		}
		i = j + 1
	}
	return b.String()
}

// cpusetPrintTaskMemsAllowed is cpuset_print_task_mems_allowed()
// (kernel/cpuset.c, CONFIG_CPUSETS=y): the task's comm, its cpuset's
// cgroup path and its mems_allowed.
//
// Model: every task is in the root cpuset, whose cgroup name prints "/".
func (s *System) cpusetPrintTaskMemsAllowed(comm string) {
	s.logf(klog.KernInfo, "%s cpuset=/ mems_allowed=%s\n", comm, nodelistString(s.cpusetMemsAllowed()))
}

// migrateTypeLetters are show_migration_types' letters, by migrate type
// (CONFIG_CMA=n, CONFIG_MEMORY_ISOLATION=n: no 'C', no 'I').
var migrateTypeLetters = [MIGRATE_TYPES]byte{
	MIGRATE_UNMOVABLE:   'U',
	MIGRATE_RECLAIMABLE: 'E',
	MIGRATE_MOVABLE:     'M',
	MIGRATE_RESERVE:     'R',
}

// showMigrationTypes is show_migration_types(): the letters of the migrate
// types with a nonempty free list, "(UM) ".
func showMigrationTypes(b *strings.Builder, types uint) {
	b.WriteByte('(')
	for i := 0; i < MIGRATE_TYPES; i++ {
		if types&(1<<i) != 0 {
			b.WriteByte(migrateTypeLetters[i])
		}
	}
	b.WriteString(") ")
}

// showNode is show_node(): "Node %d " (CONFIG_NUMA=y).
func showNode(b *strings.Builder, z *Zone) {
	fmt.Fprintf(b, "Node %d ", z.node.ID)
}

// populatedZones is for_each_populated_zone's order: node by node, zone
// index upward.
func (s *System) populatedZones() []*Zone {
	var zs []*Zone
	for _, nd := range s.nodes {
		for j := 0; j < MAX_NR_ZONES; j++ {
			if z := &nd.zones[j]; z.populatedZone() {
				zs = append(zs, z)
			}
		}
	}
	return zs
}

// showFreeAreas is show_free_areas() (mm/page_alloc.c): each zone's
// per-CPU lists, the global counters, each zone's counters and
// lowmem_reserve, each zone's free blocks per order with the migrate types
// they are on, the hugetlb pools, the page cache and the swap cache.
//
// Model: every CPU is online.
func (s *System) showFreeAreas(filter uint) {
	K := func(pages int64) int64 { return pages << (PAGE_SHIFT - 10) }
	zones := s.populatedZones()
	var b strings.Builder
	for _, z := range zones {
		if s.skipFreeAreasNode(filter, z.node.ID) {
			continue
		}
		b.Reset()
		showNode(&b, z)
		fmt.Fprintf(&b, "%s per-cpu:\n", z.Name)
		s.logf(klog.KernCont, "%s", b.String())
		for cpu := range z.pageset {
			pcp := &z.pageset[cpu].pcp
			s.logf(klog.KernCont, "CPU %4d: hi:%5d, btch:%4d usd:%4d\n", cpu, pcp.high, pcp.batch, pcp.count)
		}
	}
	g := s.GlobalPageState
	s.logf(klog.KernCont, "active_anon:%d inactive_anon:%d isolated_anon:%d\n"+
		" active_file:%d inactive_file:%d isolated_file:%d\n"+
		" unevictable:%d dirty:%d writeback:%d unstable:%d\n"+
		" free:%d slab_reclaimable:%d slab_unreclaimable:%d\n"+
		" mapped:%d shmem:%d pagetables:%d bounce:%d\n"+
		" free_cma:%d\n",
		g(NR_ACTIVE_ANON), g(NR_INACTIVE_ANON), g(NR_ISOLATED_ANON),
		g(NR_ACTIVE_FILE), g(NR_INACTIVE_FILE), g(NR_ISOLATED_FILE),
		g(NR_UNEVICTABLE), g(NR_FILE_DIRTY), g(NR_WRITEBACK), g(NR_UNSTABLE_NFS),
		g(NR_FREE_PAGES), g(NR_SLAB_RECLAIMABLE), g(NR_SLAB_UNRECLAIMABLE),
		g(NR_FILE_MAPPED), g(NR_SHMEM), g(NR_PAGETABLE), g(NR_BOUNCE),
		g(NR_FREE_CMA_PAGES))
	for _, z := range zones {
		if s.skipFreeAreasNode(filter, z.node.ID) {
			continue
		}
		zs := z.zonePageState
		b.Reset()
		showNode(&b, z)
		fmt.Fprintf(&b, "%s free:%dkB min:%dkB low:%dkB high:%dkB"+
			" active_anon:%dkB inactive_anon:%dkB active_file:%dkB inactive_file:%dkB"+
			" unevictable:%dkB isolated(anon):%dkB isolated(file):%dkB"+
			" present:%dkB managed:%dkB mlocked:%dkB dirty:%dkB writeback:%dkB"+
			" mapped:%dkB shmem:%dkB slab_reclaimable:%dkB slab_unreclaimable:%dkB"+
			" kernel_stack:%dkB pagetables:%dkB unstable:%dkB bounce:%dkB"+
			" free_cma:%dkB writeback_tmp:%dkB pages_scanned:%d all_unreclaimable? %s\n",
			z.Name, K(zs(NR_FREE_PAGES)),
			K(int64(z.minWmarkPages())), K(int64(z.lowWmarkPages())), K(int64(z.highWmarkPages())),
			K(zs(NR_ACTIVE_ANON)), K(zs(NR_INACTIVE_ANON)), K(zs(NR_ACTIVE_FILE)), K(zs(NR_INACTIVE_FILE)),
			K(zs(NR_UNEVICTABLE)), K(zs(NR_ISOLATED_ANON)), K(zs(NR_ISOLATED_FILE)),
			K(int64(z.presentPages)), K(int64(z.managedPages)), K(zs(NR_MLOCK)),
			K(zs(NR_FILE_DIRTY)), K(zs(NR_WRITEBACK)),
			K(zs(NR_FILE_MAPPED)), K(zs(NR_SHMEM)), K(zs(NR_SLAB_RECLAIMABLE)), K(zs(NR_SLAB_UNRECLAIMABLE)),
			zs(NR_KERNEL_STACK)*threadSizeBytes/1024, K(zs(NR_PAGETABLE)), K(zs(NR_UNSTABLE_NFS)), K(zs(NR_BOUNCE)),
			K(zs(NR_FREE_CMA_PAGES)), K(zs(NR_WRITEBACK_TEMP)), z.pagesScanned, yesNo(!z.zoneReclaimable()))
		s.logf(klog.KernCont, "%s", b.String())
		b.Reset()
		b.WriteString("lowmem_reserve[]:")
		for i := 0; i < MAX_NR_ZONES; i++ {
			fmt.Fprintf(&b, " %d", z.lowmemReserve[i])
		}
		b.WriteByte('\n')
		s.logf(klog.KernCont, "%s", b.String())
	}
	for _, z := range zones {
		if s.skipFreeAreasNode(filter, z.node.ID) {
			continue
		}
		var nr [MAX_ORDER]uint64
		var types [MAX_ORDER]uint
		var total uint64
		for o := 0; o < MAX_ORDER; o++ {
			area := &z.freeArea[o]
			nr[o] = area.nrFree
			total += nr[o] << o
			for mt := 0; mt < MIGRATE_TYPES; mt++ {
				if !s.listEmpty(area.freeList[mt]) {
					types[o] |= 1 << mt
				}
			}
		}
		b.Reset()
		showNode(&b, z)
		fmt.Fprintf(&b, "%s: ", z.Name)
		for o := 0; o < MAX_ORDER; o++ {
			fmt.Fprintf(&b, "%d*%dkB ", nr[o], K(1)<<o)
			if nr[o] != 0 {
				showMigrationTypes(&b, types[o])
			}
		}
		fmt.Fprintf(&b, "= %dkB\n", K(int64(total)))
		s.logf(klog.KernCont, "%s", b.String())
	}
	s.hugetlbShowMeminfo()
	s.logf(klog.KernCont, "%d total pagecache pages\n", g(NR_FILE_PAGES))
	s.showSwapCacheInfo()
}

// threadSizeBytes is x86_64's THREAD_SIZE, what NR_KERNEL_STACK counts.
const threadSizeBytes = 16 << 10

// hugetlbShowMeminfo is hugetlb_show_meminfo() (mm/hugetlb.c,
// CONFIG_HUGETLB_PAGE=y): one line per node with memory and hstate. x86_64
// registers the 2 MiB hstate at boot (hugepagesz=1G is not given).
//
// Model: the hugetlbfs pool is not modeled: it is empty, as /proc/meminfo's
// HugePages_* say.
func (s *System) hugetlbShowMeminfo() {
	for _, nid := range s.nodesWithMemory() {
		s.logf(klog.KernInfo, "Node %d hugepages_total=%d hugepages_free=%d hugepages_surp=%d hugepages_size=%dkB\n",
			nid, 0, 0, 0, 1<<(9+PAGE_SHIFT-10))
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
