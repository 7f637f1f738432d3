// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"fmt"
	"strings"
	"testing"

	"pagesim/klog"
	"pagesim/klog/klogtest"
)

// showMemLines runs show_mem on s and returns the lines it printed.
func showMemLines(t *testing.T, s *System, l *klog.Log, filter uint) []string {
	t.Helper()
	before := len(l.Records())
	s.showMem(filter)
	var lines []string
	for _, r := range l.Records()[before:] {
		lines = append(lines, r.Text)
	}
	return lines
}

// expect checks the next line against a v3.16 format string and returns
// its values.
type lineReader struct {
	t     *testing.T
	lines []string
	i     int
}

func (r *lineReader) next(format string) []any {
	r.t.Helper()
	if r.i >= len(r.lines) {
		r.t.Fatalf("output ends before a line of format %q", format)
	}
	vals, err := klogtest.Printf(r.lines[r.i], format)
	if err != nil {
		r.t.Fatalf("line %d: %v\nall:\n%s", r.i, err, strings.Join(r.lines, "\n"))
	}
	r.i++
	return vals
}

// want checks that the values of a line are the given ones.
func (r *lineReader) want(format string, want ...any) {
	r.t.Helper()
	vals := r.next(format)
	for i := range want {
		switch w := want[i].(type) {
		case int:
			want[i] = int64(w)
		case uint64:
			want[i] = int64(w)
		}
	}
	if fmt.Sprint(vals...) != fmt.Sprint(want...) {
		r.t.Errorf("line %q: values %v, want %v", r.lines[r.i-1], vals, fmt.Sprint(want...))
	}
}

// v3.16 lib/show_mem.c show_mem and mm/page_alloc.c show_free_areas, line
// by line from their format strings, each value checked against the
// model's state: the per-cpu lists, the global and per-zone counters with
// K() = pages*4, the watermarks, lowmem_reserve, the free blocks per order
// with show_migration_types' letters (U E M R) for the nonempty lists,
// hugetlb_show_meminfo's 2 MiB pool, the page cache, show_swap_cache_info,
// and show_mem's totals, whose "reserved" is the last populated zone's
// present - managed (v3.16 assigns it in the loop).
func TestShowMemV316Format(t *testing.T) {
	for _, c := range []struct {
		mem   uint64
		nodes int
	}{{256 << 20, 1}, {512 << 20, 2}} {
		l := klog.New(klog.Config{NoStackWords: true})
		s, err := Boot(Config{MemBytes: c.mem, Nodes: c.nodes, CPUs: 2}, Env{Log: l})
		if err != nil {
			t.Fatal(err)
		}
		// Mixed free lists: unmovable, reclaimable and movable blocks of
		// several orders, some freed again.
		var held [][2]uint64
		for i, gfp := range []GFP{GFP_KERNEL, GFP_KERNEL | GFP_RECLAIMABLE, GFP_HIGHUSER_MOVABLE} {
			for o := uint(0); o < 4; o++ {
				for k := 0; k < 5+i; k++ {
					pfn, ok := s.AllocPages(gfp, o)
					if !ok {
						t.Fatal("allocation failed")
					}
					held = append(held, [2]uint64{pfn, uint64(o)})
				}
			}
		}
		for i := 0; i < len(held); i += 3 {
			s.FreePages(held[i][0], uint(held[i][1]))
		}
		lines := showMemLines(t, s, l, SHOW_MEM_FILTER_NODES)
		r := &lineReader{t: t, lines: lines}
		r.want("Mem-Info:")
		zones := s.populatedZones()
		for _, z := range zones {
			r.want("Node %d %s per-cpu:", z.node.ID, z.Name)
			for cpu := 0; cpu < s.NrCPUs(); cpu++ {
				p := z.pageset[cpu].pcp
				r.want("CPU %4d: hi:%5d, btch:%4d usd:%4d", cpu, p.high, p.batch, p.count)
			}
		}
		g := s.GlobalPageState
		r.want("active_anon:%lu inactive_anon:%lu isolated_anon:%lu", g(NR_ACTIVE_ANON), g(NR_INACTIVE_ANON), g(NR_ISOLATED_ANON))
		r.want(" active_file:%lu inactive_file:%lu isolated_file:%lu", g(NR_ACTIVE_FILE), g(NR_INACTIVE_FILE), g(NR_ISOLATED_FILE))
		r.want(" unevictable:%lu dirty:%lu writeback:%lu unstable:%lu", g(NR_UNEVICTABLE), g(NR_FILE_DIRTY), g(NR_WRITEBACK), g(NR_UNSTABLE_NFS))
		r.want(" free:%lu slab_reclaimable:%lu slab_unreclaimable:%lu", g(NR_FREE_PAGES), g(NR_SLAB_RECLAIMABLE), g(NR_SLAB_UNRECLAIMABLE))
		r.want(" mapped:%lu shmem:%lu pagetables:%lu bounce:%lu", g(NR_FILE_MAPPED), g(NR_SHMEM), g(NR_PAGETABLE), g(NR_BOUNCE))
		r.want(" free_cma:%lu", g(NR_FREE_CMA_PAGES))
		for _, z := range zones {
			zs := func(i ZoneStatItem) int64 { return z.zonePageState(i) * 4 }
			unreclaimable := "no"
			if z.pagesScanned >= uint64(z.zoneReclaimablePages()*6) {
				unreclaimable = "yes"
			}
			r.want("Node %d %s free:%lukB min:%lukB low:%lukB high:%lukB active_anon:%lukB inactive_anon:%lukB active_file:%lukB inactive_file:%lukB unevictable:%lukB isolated(anon):%lukB isolated(file):%lukB present:%lukB managed:%lukB mlocked:%lukB dirty:%lukB writeback:%lukB mapped:%lukB shmem:%lukB slab_reclaimable:%lukB slab_unreclaimable:%lukB kernel_stack:%lukB pagetables:%lukB unstable:%lukB bounce:%lukB free_cma:%lukB writeback_tmp:%lukB pages_scanned:%lu all_unreclaimable? %s",
				z.node.ID, z.Name, zs(NR_FREE_PAGES), z.watermark[WMARK_MIN]*4, z.watermark[WMARK_LOW]*4, z.watermark[WMARK_HIGH]*4,
				zs(NR_ACTIVE_ANON), zs(NR_INACTIVE_ANON), zs(NR_ACTIVE_FILE), zs(NR_INACTIVE_FILE),
				zs(NR_UNEVICTABLE), zs(NR_ISOLATED_ANON), zs(NR_ISOLATED_FILE),
				z.presentPages*4, z.managedPages*4, zs(NR_MLOCK), zs(NR_FILE_DIRTY), zs(NR_WRITEBACK),
				zs(NR_FILE_MAPPED), zs(NR_SHMEM), zs(NR_SLAB_RECLAIMABLE), zs(NR_SLAB_UNRECLAIMABLE),
				z.zonePageState(NR_KERNEL_STACK)*16, zs(NR_PAGETABLE), zs(NR_UNSTABLE_NFS), zs(NR_BOUNCE),
				zs(NR_FREE_CMA_PAGES), zs(NR_WRITEBACK_TEMP), z.pagesScanned, unreclaimable)
			lr := z.lowmemReserve
			r.want("lowmem_reserve[]: %lu %lu %lu %lu", lr[0], lr[1], lr[2], lr[3])
		}
		sawTypes := map[string]bool{}
		for _, z := range zones {
			var b strings.Builder
			fmt.Fprintf(&b, "Node %d %s: ", z.node.ID, z.Name)
			var total uint64
			for o := 0; o < MAX_ORDER; o++ {
				fmt.Fprintf(&b, "%d*%dkB ", z.freeArea[o].nrFree, 4<<o)
				total += z.freeArea[o].nrFree << o
				if z.freeArea[o].nrFree == 0 {
					continue
				}
				letters := ""
				for mt, c := range "UEMR" {
					if len(freeList(s, z, o, mt)) != 0 {
						letters += string(c)
					}
				}
				sawTypes[letters] = true
				fmt.Fprintf(&b, "(%s) ", letters)
			}
			fmt.Fprintf(&b, "= %dkB", total*4)
			if r.lines[r.i] != b.String() {
				t.Errorf("free areas:\n got %q\nwant %q", r.lines[r.i], b.String())
			}
			r.i++
		}
		if !sawTypes["UEM"] && !sawTypes["UM"] && !sawTypes["EM"] && !sawTypes["UE"] {
			t.Errorf("no order had free blocks of two migrate types: %v", sawTypes)
		}
		for nid := 0; nid < c.nodes; nid++ {
			r.want("Node %d hugepages_total=%u hugepages_free=%u hugepages_surp=%u hugepages_size=%lukB", nid, 0, 0, 0, 2048)
		}
		r.want("%ld total pagecache pages", g(NR_FILE_PAGES))
		r.want("%lu pages in swap cache", 0)
		r.want("Swap cache stats: add %lu, delete %lu, find %lu/%lu", 0, 0, 0, 0)
		r.want("Free swap  = %ldkB", 0)
		r.want("Total swap = %lukB", 0)
		var present uint64
		for _, z := range zones {
			present += z.presentPages
		}
		last := zones[len(zones)-1]
		r.want("%lu pages RAM", present)
		r.want("%lu pages HighMem/MovableOnly", 0)
		r.want("%lu pages reserved", last.presentPages-last.managedPages)
		if r.i != len(lines) {
			t.Errorf("extra lines after show_mem: %q", lines[r.i:])
		}
		s.Release()
	}
}

// v3.16 mm/page_alloc.c show_migration_types: one letter per migrate type
// whose free list is not empty, in migrate type order, "(UEMR) ".
func TestShowMigrationTypes(t *testing.T) {
	for types, want := range map[uint]string{
		1 << MIGRATE_UNMOVABLE:                        "(U) ",
		1<<MIGRATE_UNMOVABLE | 1<<MIGRATE_MOVABLE:     "(UM) ",
		1<<MIGRATE_RECLAIMABLE | 1<<MIGRATE_RESERVE:   "(ER) ",
		1<<MIGRATE_TYPES - 1:                          "(UEMR) ",
		1<<MIGRATE_MOVABLE | 1<<MIGRATE_RECLAIMABLE:   "(EM) ",
		1 << MIGRATE_RESERVE:                          "(R) ",
		1<<MIGRATE_UNMOVABLE | 1<<MIGRATE_RECLAIMABLE: "(UE) ",
	} {
		var b strings.Builder
		showMigrationTypes(&b, types)
		if b.String() != want {
			t.Errorf("types %#x: %q, want %q", types, b.String(), want)
		}
	}
}

// v3.16 kernel/cpuset.c cpuset_print_task_mems_allowed prints the mask
// with nodelist_scnprintf (bitmap_scnlistprintf): ranges joined by commas.
func TestNodelistString(t *testing.T) {
	for _, c := range []struct {
		nids []int
		want string
	}{{[]int{0}, "0"}, {[]int{0, 1}, "0-1"}, {[]int{0, 2, 3}, "0,2-3"}, {[]int{0, 1, 2, 5, 7, 8}, "0-2,5,7-8"}} {
		if got := nodelistString(c.nids); got != c.want {
			t.Errorf("%v: %q, want %q", c.nids, got, c.want)
		}
	}
}
