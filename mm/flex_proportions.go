// SPDX-License-Identifier: GPL-2.0-only

package mm

// lib/flex_proportions.c: floating proportions of event counts, aged by
// halving every period. balance_dirty_pages uses them for each bdi's share
// of writeout completions (writeout_completions, bdi->completions).
//
// Model: the per-CPU counters (percpu_counter with PROP_BATCH) are exact:
// a read is the sum, so the kernel's batching error is not modeled (the
// bdi_stat[] counters are percpu_counters, percpu_counter.go).

// FPROP_FRAC_SHIFT and FPROP_FRAC_BASE are the fixed-point base of the
// fractions (include/linux/flex_proportions.h).
const (
	FPROP_FRAC_SHIFT = 10
	FPROP_FRAC_BASE  = 1 << FPROP_FRAC_SHIFT
)

// fpropGlobal is struct fprop_global: all events, and the period count.
type fpropGlobal struct {
	events int64
	period uint64
}

// fpropLocal is struct fprop_local_percpu: one kind's events, as of the
// period it last caught up with.
type fpropLocal struct {
	events int64
	period uint64
}

// fpropGlobalInit is fprop_global_init(): events start at 1 so that no
// period has none.
func (p *fpropGlobal) fpropGlobalInit() {
	p.period = 0
	p.events = 1
}

// fpropNewPeriod is fprop_new_period(): age all events by periods halvings;
// false (and nothing done) when at most one event is left.
func (p *fpropGlobal) fpropNewPeriod(periods int) bool {
	events := p.events
	if events <= 1 {
		return false
	}
	if periods < 64 {
		events -= events >> uint(periods)
	}
	p.events -= events
	p.period += uint64(periods)
	return true
}

// fpropReflectPeriodPercpu is fprop_reflect_period_percpu(): halve the
// local events once for every period that passed since they were last
// aged.
func (pl *fpropLocal) fpropReflectPeriodPercpu(p *fpropGlobal) {
	period := p.period
	if pl.period >= period {
		return
	}
	if period-pl.period < 64 { // BITS_PER_LONG
		pl.events = pl.events >> (period - pl.period)
	} else {
		pl.events = 0
	}
	pl.period = period
}

// fpropFractionPercpu is fprop_fraction_percpu(): the local share of the
// events, as numerator and denominator, never above 1.
func (pl *fpropLocal) fpropFractionPercpu(p *fpropGlobal) (num, den int64) {
	pl.fpropReflectPeriodPercpu(p)
	num = max(pl.events, 0) // percpu_counter_read_positive
	den = max(p.events, 0)
	if den <= num {
		if num != 0 {
			den = num
		} else {
			den = 1
		}
	}
	return num, den
}

// __fpropIncPercpuMax is __fprop_inc_percpu_max(): count an event unless
// the local share is already above maxFrac/FPROP_FRAC_BASE.
func (pl *fpropLocal) __fpropIncPercpuMax(p *fpropGlobal, maxFrac int64) {
	if maxFrac < FPROP_FRAC_BASE {
		num, den := pl.fpropFractionPercpu(p)
		if uint64(num) > uint64(den)*uint64(maxFrac)>>FPROP_FRAC_SHIFT {
			return
		}
	} else {
		pl.fpropReflectPeriodPercpu(p)
	}
	pl.events++
	p.events++
}
