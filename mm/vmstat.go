// SPDX-License-Identifier: GPL-2.0-only

package mm

// Counters, mm/vmstat.c and include/linux/vmstat.h. Zone counters are kept
// as the kernel keeps them: a folded value per zone and globally, plus a
// per-CPU differential that is folded only when it passes the CPU's
// stat_threshold (or when the vmstat worker runs), so watermark checks see
// the same lag they see in the kernel. Events are per-CPU in the kernel and
// only ever read summed, so the model keeps their sums.

// zonePageStateAdd is zone_page_state_add(): fold into zone and global.
func (z *Zone) zonePageStateAdd(x int64, item ZoneStatItem) {
	z.vmStat[item] += x
	z.sys.vmStat[item] += x
}

// __modZonePageState is __mod_zone_page_state(): accumulate in this CPU's
// differential, fold when it passes the threshold.
func (z *Zone) __modZonePageState(item ZoneStatItem, delta int64) {
	pcp := &z.pageset[z.sys.smpProcessorID()]
	x := delta + int64(pcp.vmStatDiff[item])
	t := int64(pcp.statThreshold)
	if x > t || x < -t {
		z.zonePageStateAdd(x, item)
		x = 0
	}
	pcp.vmStatDiff[item] = int8(x)
}

// modZonePageState is mod_zone_page_state(); with interrupts modeled as
// never racing, the same as the __ variant.
func (z *Zone) modZonePageState(item ZoneStatItem, delta int64) {
	z.__modZonePageState(item, delta)
}

// __incZoneState is __inc_zone_state(): past the threshold, fold with an
// overstep of half the threshold so the next folds come later.
func (z *Zone) __incZoneState(item ZoneStatItem) {
	pcp := &z.pageset[z.sys.smpProcessorID()]
	v := int64(pcp.vmStatDiff[item]) + 1
	t := int64(pcp.statThreshold)
	if v > t {
		overstep := t >> 1
		z.zonePageStateAdd(v+overstep, item)
		v = -overstep
	}
	pcp.vmStatDiff[item] = int8(v)
}

// __decZoneState is __dec_zone_state().
func (z *Zone) __decZoneState(item ZoneStatItem) {
	pcp := &z.pageset[z.sys.smpProcessorID()]
	v := int64(pcp.vmStatDiff[item]) - 1
	t := int64(pcp.statThreshold)
	if v < -t {
		overstep := t >> 1
		z.zonePageStateAdd(v-overstep, item)
		v = overstep
	}
	pcp.vmStatDiff[item] = int8(v)
}

// __modZoneFreepageState is __mod_zone_freepage_state() (no CMA).
func (z *Zone) __modZoneFreepageState(nrPages int64, migratetype int) {
	z.__modZonePageState(NR_FREE_PAGES, nrPages)
}

// zonePageState is zone_page_state(): the folded value, never negative.
func (z *Zone) zonePageState(item ZoneStatItem) int64 {
	return max(z.vmStat[item], 0)
}

// ZonePageState is the exported zone_page_state().
func (z *Zone) ZonePageState(item ZoneStatItem) int64 { return z.zonePageState(item) }

// zonePageStateSnapshot is zone_page_state_snapshot(): folded plus every
// CPU's differential.
func (z *Zone) zonePageStateSnapshot(item ZoneStatItem) int64 {
	x := z.vmStat[item]
	for cpu := range z.pageset {
		x += int64(z.pageset[cpu].vmStatDiff[item])
	}
	return max(x, 0)
}

// zonePageStateRaw is the zone counter with every CPU's pending diff and
// without the clamp at zero: the value the invariant checker compares, so
// that a counter driven below zero shows as the drift it is.
func (z *Zone) zonePageStateRaw(item ZoneStatItem) int64 {
	x := z.vmStat[item]
	for cpu := range z.pageset {
		x += int64(z.pageset[cpu].vmStatDiff[item])
	}
	return x
}

// GlobalPageState is global_page_state().
func (s *System) GlobalPageState(item ZoneStatItem) int64 { return max(s.vmStat[item], 0) }

// countVMEvent is count_vm_event().
func (s *System) countVMEvent(item VMEventItem) { s.vmEvents[item]++ }

// countVMEvents is count_vm_events().
func (s *System) countVMEvents(item VMEventItem, delta uint64) { s.vmEvents[item] += delta }

// countZoneVMEvents is __count_zone_vm_events(): the per-zone member of an
// event group, given the group's _NORMAL member.
func (s *System) countZoneVMEvents(normal VMEventItem, z *Zone, delta uint64) {
	s.vmEvents[zoneVMEvent(normal, z.idx)] += delta
}

// VMEvent returns the summed event counter (all_vm_events).
func (s *System) VMEvent(item VMEventItem) uint64 { return s.vmEvents[item] }

// calculateNormalThreshold is calculate_normal_threshold(): 2 * fls(cpus) *
// (1 + fls(zone size in 128 MiB units)), at most 125.
func (s *System) calculateNormalThreshold(z *Zone) int {
	mem := z.managedPages >> (27 - PAGE_SHIFT)
	t := 2 * fls(uint64(s.NrCPUs())) * (1 + fls(mem))
	return min(125, t)
}

// calculatePressureThreshold is calculate_pressure_threshold(), used while
// kswapd is awake: small enough that the drift cannot breach the min
// watermark.
func (s *System) calculatePressureThreshold(z *Zone) int {
	watermarkDistance := int(z.lowWmarkPages() - z.minWmarkPages())
	t := max(1, watermarkDistance/s.NrCPUs())
	return min(125, t)
}

// refreshZoneStatThresholds is refresh_zone_stat_thresholds(): per-CPU
// thresholds and the drift mark below which watermark checks take a
// snapshot.
func (s *System) refreshZoneStatThresholds() {
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		t := s.calculateNormalThreshold(z)
		for cpu := range z.pageset {
			z.pageset[cpu].statThreshold = int8(t)
		}
		tolerateDrift := z.lowWmarkPages() - z.minWmarkPages()
		maxDrift := uint64(s.NrCPUs() * t)
		if maxDrift > tolerateDrift {
			z.percpuDriftMark = z.highWmarkPages() + maxDrift
		}
	}
}

// RefreshCPUVMStats is refresh_cpu_vm_stats() run on one CPU, what the
// vmstat worker does every sysctl_stat_interval: fold the CPU's
// differentials, and drain pcp pages this CPU holds for a remote node's zone
// once they have sat there for three intervals.
func (s *System) RefreshCPUVMStats(cpu int) {
	defer s.onCPU(cpu)()
	for _, z := range s.zones {
		if !z.populatedZone() {
			continue
		}
		p := &z.pageset[cpu]
		for item := range p.vmStatDiff {
			if v := p.vmStatDiff[item]; v != 0 {
				p.vmStatDiff[item] = 0
				z.zonePageStateAdd(int64(v), ZoneStatItem(item))
				p.expire = 3
			}
		}
		if p.expire == 0 || p.pcp.count == 0 {
			continue
		}
		if z.node.ID == s.cpuNode[cpu] {
			p.expire = 0
			continue
		}
		p.expire--
		if p.expire != 0 {
			continue
		}
		z.drainZonePages(&p.pcp)
	}
}

// drainZonePages is drain_zone_pages(): give back up to a batch.
func (z *Zone) drainZonePages(pcp *perCPUPages) {
	toDrain := min(pcp.count, pcp.batch)
	if toDrain > 0 {
		z.freePcppagesBulk(toDrain, pcp)
		pcp.count -= toDrain
	}
}

// fls is fls(): the 1-based index of the highest set bit, 0 for 0.
func fls(x uint64) int {
	n := 0
	for x != 0 {
		n++
		x >>= 1
	}
	return n
}

// GlobalPageStateSnapshot is global_page_state() plus every CPU's pending
// differential: the exact count, for checks.
func (s *System) GlobalPageStateSnapshot(item ZoneStatItem) int64 {
	var n int64
	for _, z := range s.zones {
		if z.populatedZone() {
			n += z.zonePageStateSnapshot(item)
		}
	}
	return n
}
