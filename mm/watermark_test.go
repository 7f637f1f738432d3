// SPDX-License-Identifier: GPL-2.0-only

package mm

import (
	"math"
	"testing"
)

// zoneLayout is what a test expects of one zone, worked out by hand from the
// firmware map (e820.go) and the boot reservations (boot.go).
type zoneLayout struct {
	idx                      int
	start, spanned, present  uint64
	reserved                 uint64 // memblock-reserved pages inside the zone
	wantMin, wantLow, wantHi uint64 // the watermarks, by the arithmetic below
}

// isqrt is int_sqrt, computed here independently of the model's intSqrt.
func isqrt(x uint64) uint64 {
	r := uint64(math.Sqrt(float64(x)))
	for r*r > x {
		r--
	}
	for (r+1)*(r+1) <= x {
		r++
	}
	return r
}

// TestZoneSizesAndWatermarks checks, for 1, 4 and 16 GiB machines, that zone
// sizes, managed pages, min_free_kbytes, every zone's min/low/high watermark
// and lowmem_reserve equal what v3.16's formulas give:
//
//	managed         = present - reserved (free_all_bootmem)
//	min_free_kbytes = int_sqrt(lowmem_kbytes * 16), clamped to [128, 65536],
//	                  lowmem_kbytes = 4 * sum(managed) over DMA..Normal
//	                  (init_per_zone_wmark_min, nr_free_buffer_pages with
//	                  the watermarks still zero)
//	pages_min       = min_free_kbytes >> 2
//	tmp             = pages_min * managed / sum(managed)   (per zone)
//	min, low, high  = tmp, tmp + tmp>>2, tmp + tmp>>1      (__setup_per_zone_wmarks)
//	lowmem_reserve[j] of zone i<j = sum(managed of zones i+1..j) / ratio[i],
//	                  ratios 256, 256, 32                   (setup_per_zone_lowmem_reserve)
//
// The reservations: pages 1-15 (reserve_low, 64 KiB), six pages of
// real-mode trampoline at 0x99-0x9e, the 12 MiB kernel image from 16 MiB
// (3072 pages, in DMA32), and 512 pages of vmemmap per present 128 MiB
// section at the top of the node.
func TestZoneSizesAndWatermarks(t *testing.T) {
	const (
		dmaPresent  = (0x9f - 1) + (0x1000 - 0x100) // 158 + 3840 = 3998
		dmaReserved = 15 + 6                        // reserve_low + trampoline = 21
		kernel      = 12 << 20 >> 12                // 3072
		vmemmap     = 512                           // per section
	)
	cases := []struct {
		name           string
		mem            uint64
		wantMinFreeKB  uint64
		zones          []zoneLayout
		wantDMAReserve [MAX_NR_ZONES]uint64
	}{
		{
			// 1 GiB: all RAM below 4 GiB; 8 sections of vmemmap come
			// from the top of DMA32.
			//   DMA32 managed 258048 - 3072 - 8*512 = 250880
			//   lowmem 3977 + 250880 = 254857 pages -> 1019428 kB
			//   min_free_kbytes = int_sqrt(1019428*16 = 16310848) = 4038
			//   pages_min 1009: DMA 1009*3977/254857 = 15 -> 15, 18, 22
			//   DMA32 1009*250880/254857 = 993 -> 993, 1241, 1489
			//   DMA lowmem_reserve: 250880/256 = 980 for DMA32 and up
			name: "1G", mem: 1 << 30, wantMinFreeKB: 4038,
			zones: []zoneLayout{
				{ZONE_DMA, 1, 4095, dmaPresent, dmaReserved, 15, 18, 22},
				{ZONE_DMA32, 0x1000, 0x40000 - 0x1000, 0x40000 - 0x1000, kernel + 8*vmemmap, 993, 1241, 1489},
			},
			wantDMAReserve: [MAX_NR_ZONES]uint64{0, 980, 980, 980},
		},
		{
			// 4 GiB: 3 GiB below the PCI hole, 1 GiB from 4 GiB;
			// 24 + 8 sections, vmemmap from the top of Normal.
			//   DMA32 present 0xc0000 - 0x1000 = 782336, managed -3072 = 779264
			//   Normal present 262144, managed 262144 - 32*512 = 245760
			//   min_free_kbytes = int_sqrt(4*1029001*16) = 8115, pages_min 2028
			//   DMA 7, 8, 10; DMA32 1535, 1918, 2302; Normal 484, 605, 726
			name: "4G", mem: 4 << 30, wantMinFreeKB: 8115,
			zones: []zoneLayout{
				{ZONE_DMA, 1, 4095, dmaPresent, dmaReserved, 7, 8, 10},
				{ZONE_DMA32, 0x1000, 0x100000 - 0x1000, 0xc0000 - 0x1000, kernel, 1535, 1918, 2302},
				{ZONE_NORMAL, 0x100000, 0x40000, 0x40000, 32 * vmemmap, 484, 605, 726},
			},
			// 779264/256 = 3044; (779264+245760)/256 = 4004
			wantDMAReserve: [MAX_NR_ZONES]uint64{0, 3044, 4004, 4004},
		},
		{
			// 16 GiB: 3 GiB low, 13 GiB from 4 GiB; 24 + 104 sections.
			//   Normal present 3407872, managed 3407872 - 128*512 = 3342336
			//   min_free_kbytes = int_sqrt(4*4125577*16) = 16249, pages_min 4062
			name: "16G", mem: 16 << 30, wantMinFreeKB: 16249,
			zones: []zoneLayout{
				{ZONE_DMA, 1, 4095, dmaPresent, dmaReserved, 3, 3, 4},
				{ZONE_DMA32, 0x1000, 0x100000 - 0x1000, 0xc0000 - 0x1000, kernel, 767, 958, 1150},
				{ZONE_NORMAL, 0x100000, 0x340000, 0x340000, 128 * vmemmap, 3290, 4112, 4935},
			},
			wantDMAReserve: [MAX_NR_ZONES]uint64{0, 3044, 16100, 16100},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Boot(Config{MemBytes: tc.mem, Nodes: 1, CPUs: 2}, Env{})
			if err != nil {
				t.Fatal(err)
			}
			// The formulas, applied to the hand-derived managed pages.
			var lowmem uint64
			for _, zl := range tc.zones {
				lowmem += zl.present - zl.reserved
			}
			minFree := min(max(isqrt(lowmem*4*16), 128), 65536)
			if minFree != tc.wantMinFreeKB {
				t.Fatalf("test arithmetic: min_free_kbytes %d, comment says %d", minFree, tc.wantMinFreeKB)
			}
			if uint64(s.MinFreeKbytes()) != minFree {
				t.Errorf("min_free_kbytes = %d, want %d", s.MinFreeKbytes(), minFree)
			}
			pagesMin := minFree >> 2
			for _, zl := range tc.zones {
				z := s.nodes[0].Zone(zl.idx)
				managed := zl.present - zl.reserved
				tmp := pagesMin * managed / lowmem
				want := [3]uint64{tmp, tmp + tmp>>2, tmp + tmp>>1}
				if want != [3]uint64{zl.wantMin, zl.wantLow, zl.wantHi} {
					t.Fatalf("test arithmetic: %s watermarks %v, comment says %d %d %d", z.Name, want, zl.wantMin, zl.wantLow, zl.wantHi)
				}
				if z.Spanned() != zl.spanned || z.Present() != zl.present || z.StartPFN() != zl.start || z.Managed() != managed {
					t.Errorf("%s: start %d spanned %d present %d managed %d, want %d %d %d %d",
						z.Name, z.StartPFN(), z.Spanned(), z.Present(), z.Managed(), zl.start, zl.spanned, zl.present, managed)
				}
				got := [3]uint64{z.Watermark(WMARK_MIN), z.Watermark(WMARK_LOW), z.Watermark(WMARK_HIGH)}
				if got != want {
					t.Errorf("%s watermarks %v, want %v", z.Name, got, want)
				}
				// zone_batchsize: managed/1024, capped at 128, /4, then
				// rounddown_pow_of_two(b + b/2) - 1; high = 6 * batch.
				b := min(managed/1024, 128) / 4
				b = max(b, 1)
				p := uint64(1)
				for p*2 <= b+b/2 {
					p *= 2
				}
				batch := p - 1
				pcp := z.pageset[0].pcp
				if uint64(pcp.high) != 6*batch || uint64(pcp.batch) != max(batch, 1) {
					t.Errorf("%s pcp high %d batch %d, want %d %d", z.Name, pcp.high, pcp.batch, 6*batch, max(batch, 1))
				}
			}
			dma := s.nodes[0].Zone(ZONE_DMA)
			for j := 0; j < MAX_NR_ZONES; j++ {
				if dma.LowmemReserve(j) != tc.wantDMAReserve[j] {
					t.Errorf("DMA lowmem_reserve[%d] = %d, want %d", j, dma.LowmemReserve(j), tc.wantDMAReserve[j])
				}
			}
			if errs := s.CheckInvariants(); len(errs) > 0 {
				t.Fatal(errs)
			}
		})
	}
}

// TestMovableZone checks movablecore=: ZONE_MOVABLE takes the requested
// memory from the top of the highest zone, starting on a MAX_ORDER_NR_PAGES
// boundary, and the zone it was cut from ends there
// (adjust_zone_range_for_zone_movable).
func TestMovableZone(t *testing.T) {
	s, err := Boot(Config{MemBytes: 4 << 30, Nodes: 1, CPUs: 2, MovableCoreBytes: 512 << 20}, Env{})
	if err != nil {
		t.Fatal(err)
	}
	normal, movable := s.nodes[0].Zone(ZONE_NORMAL), s.nodes[0].Zone(ZONE_MOVABLE)
	if movable.Present() != 512<<20>>PAGE_SHIFT {
		t.Errorf("Movable present %d, want %d", movable.Present(), 512<<20>>PAGE_SHIFT)
	}
	if movable.StartPFN()%MAX_ORDER_NR_PAGES != 0 || normal.StartPFN()+normal.Spanned() != movable.StartPFN() {
		t.Errorf("Normal [%#x+%#x) and Movable from %#x do not meet on a MAX_ORDER boundary",
			normal.StartPFN(), normal.Spanned(), movable.StartPFN())
	}
	// GFP_HIGHUSER_MOVABLE may use ZONE_MOVABLE; GFP_KERNEL may not.
	if gfpZone(GFP_HIGHUSER_MOVABLE) != ZONE_MOVABLE || gfpZone(GFP_KERNEL) != ZONE_NORMAL {
		t.Errorf("gfp_zone: HIGHUSER_MOVABLE %d KERNEL %d", gfpZone(GFP_HIGHUSER_MOVABLE), gfpZone(GFP_KERNEL))
	}
	for i := 0; i < 2000; i++ {
		pfn, ok := s.AllocPages(GFP_KERNEL, 0)
		if !ok {
			t.Fatal("GFP_KERNEL allocation failed")
		}
		if movable.zoneSpansPFN(pfn) {
			t.Fatalf("GFP_KERNEL page %#x came from ZONE_MOVABLE", pfn)
		}
	}
	if errs := s.CheckInvariants(); len(errs) > 0 {
		t.Fatal(errs)
	}
}
