// SPDX-License-Identifier: GPL-2.0-only

package mm

// mm/compaction.c: deferred compaction and the allocator's entry point.
// compact_zone and its scanners come with migration (issue 5).

// MigrateMode is enum migrate_mode (include/linux/migrate_mode.h).
type MigrateMode int

const (
	MIGRATE_ASYNC MigrateMode = iota
	MIGRATE_SYNC_LIGHT
	MIGRATE_SYNC
)

// Compaction results (include/linux/compaction.h).
const (
	COMPACT_DEFERRED = iota
	COMPACT_SKIPPED
	COMPACT_CONTINUE
	COMPACT_PARTIAL
	COMPACT_COMPLETE
)

// COMPACT_MAX_DEFER_SHIFT caps the backoff at 64 attempts.
const COMPACT_MAX_DEFER_SHIFT = 6

// deferCompaction is defer_compaction(): after a failure, skip the next
// 1 << compact_defer_shift attempts at this order or above.
func (s *System) deferCompaction(z *Zone, order uint) {
	z.compactConsidered = 0
	z.compactDeferShift++
	if order < z.compactOrderFailed {
		z.compactOrderFailed = order
	}
	if z.compactDeferShift > COMPACT_MAX_DEFER_SHIFT {
		z.compactDeferShift = COMPACT_MAX_DEFER_SHIFT
	}
}

// compactionDeferred is compaction_deferred(): true while the backoff runs.
func (s *System) compactionDeferred(z *Zone, order uint) bool {
	defer_limit := uint64(1) << z.compactDeferShift
	if order < z.compactOrderFailed {
		return false
	}
	z.compactConsidered++
	if z.compactConsidered > defer_limit {
		z.compactConsidered = defer_limit
	}
	return z.compactConsidered < defer_limit
}

// compactionDeferReset is compaction_defer_reset(): a success at order
// resets the backoff.
func (s *System) compactionDeferReset(z *Zone, order uint, allocSuccess bool) {
	if allocSuccess {
		z.compactConsidered = 0
		z.compactDeferShift = 0
	}
	if order >= z.compactOrderFailed {
		z.compactOrderFailed = order + 1
	}
}

// tryToCompactPages is try_to_compact_pages().
//
// Model: compact_zone is not modeled yet (issue 5), so this reports
// COMPACT_SKIPPED, which is what v3.16 returns when compaction cannot run
// (no __GFP_FS or __GFP_IO, or order 0).
func (s *System) tryToCompactPages(zl *zonelist, order uint, gfp GFP, mode MigrateMode, contended *bool) uint64 {
	return COMPACT_SKIPPED
}

// sysctl_extfrag_threshold: below this fragmentation index a failure is
// for lack of memory, not fragmentation.
const sysctlExtfragThreshold = 500

// fragmentationIndex is fragmentation_index() (mm/vmstat.c): 0 means an
// order-sized allocation would fail for lack of memory, towards 1000 for
// fragmentation; -1000 means a suitable block is free.
func (z *Zone) fragmentationIndex(order uint) int {
	var freePages, blocksTotal, blocksSuitable uint64
	for o := uint(0); o < MAX_ORDER; o++ {
		blocks := z.freeArea[o].nrFree
		blocksTotal += blocks
		freePages += blocks << o
		if o >= order {
			blocksSuitable += blocks << (o - order)
		}
	}
	if blocksTotal == 0 {
		return 0
	}
	if blocksSuitable != 0 {
		return -1000
	}
	requested := uint64(1) << order
	return 1000 - int((1000+freePages*1000/requested)/blocksTotal)
}

// compactionSuitable is compaction_suitable(): whether compacting the zone
// could serve an allocation of order: not without enough free memory
// (COMPACT_SKIPPED), not when the failure is not fragmentation, and
// COMPACT_PARTIAL when the allocation would already succeed.
func (s *System) compactionSuitable(z *Zone, order int) int {
	if order == -1 {
		return COMPACT_CONTINUE
	}
	watermark := z.lowWmarkPages() + 2<<uint(order)
	if !z.zoneWatermarkOk(0, watermark, 0, 0) {
		return COMPACT_SKIPPED
	}
	fragindex := z.fragmentationIndex(uint(order))
	if fragindex >= 0 && fragindex <= sysctlExtfragThreshold {
		return COMPACT_SKIPPED
	}
	if fragindex == -1000 && z.zoneWatermarkOk(uint(order), watermark, 0, 0) {
		return COMPACT_PARTIAL
	}
	return COMPACT_CONTINUE
}
