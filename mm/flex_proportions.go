// SPDX-License-Identifier: GPL-2.0-only

package mm

// lib/flex_proportions.c: floating proportions of event counts, aged by
// halving every period. balance_dirty_pages uses them for each bdi's share
// of writeout completions (writeout_completions, bdi->completions). The
// counts are percpu_counters (percpu_counter.go), as in v3.16: the global
// one with percpu_counter_batch, each local one with PROP_BATCH, both
// changed on the CPU the caller runs on, so a fraction is read from the
// folded counts and lags the events by up to a batch per CPU.

// FPROP_FRAC_SHIFT and FPROP_FRAC_BASE are the fixed-point base of the
// fractions (include/linux/flex_proportions.h).
const (
	FPROP_FRAC_SHIFT = 10
	FPROP_FRAC_BASE  = 1 << FPROP_FRAC_SHIFT
)

// fpropGlobal is struct fprop_global: all events, and the period count.
// nrCPUs sizes the per-CPU deltas; batch is percpu_counter_batch,
// propBatch PROP_BATCH, both set by fpropGlobalInit.
type fpropGlobal struct {
	events    percpuCounter
	period    uint64
	nrCPUs    int
	batch     int64
	propBatch int64
}

// fpropLocal is struct fprop_local_percpu: one kind's events, as of the
// period it last caught up with.
type fpropLocal struct {
	events percpuCounter
	period uint64
}

// fpropGlobalInit is fprop_global_init(): events start at 1 so that no
// period has none. It also sets what lib/percpu_counter.c's
// compute_batch_value and flex_proportions.c's PROP_BATCH give for
// nrCPUs online CPUs: percpu_counter_batch = max(32, 2*nr) and
// PROP_BATCH = 8*(1+ilog2(nr_cpu_ids)).
func (p *fpropGlobal) fpropGlobalInit(nrCPUs int) {
	p.nrCPUs = nrCPUs
	p.batch = max(32, 2*int64(nrCPUs))
	p.propBatch = 8 * (1 + ilog2(uint64(nrCPUs)))
	p.period = 0
	p.events = percpuCounter{count: 1}
}

// fpropNewPeriod is fprop_new_period(): age all events by periods halvings,
// taking the exact sum and subtracting the aged part on cpu (so events
// counted meanwhile are kept); false (and nothing done) when at most one
// event is left.
func (p *fpropGlobal) fpropNewPeriod(cpu, periods int) bool {
	events := p.events.percpuCounterSum()
	if events <= 1 {
		return false
	}
	if periods < 64 {
		events -= events >> uint(periods)
	}
	p.events.__percpuCounterAdd(cpu, p.nrCPUs, -events, p.batch)
	p.period += uint64(periods)
	return true
}

// fpropReflectPeriodPercpu is fprop_reflect_period_percpu(): halve the
// local events once for every period that passed since they were last
// aged: from the folded count, or from the exact sum while the count is
// below nr_cpu_ids*PROP_BATCH, the difference added on cpu; after 64
// periods or more, zero (percpu_counter_set).
func (pl *fpropLocal) fpropReflectPeriodPercpu(p *fpropGlobal, cpu int) {
	period := p.period
	if pl.period >= period {
		return
	}
	if period-pl.period < 64 { // BITS_PER_LONG
		val := pl.events.percpuCounterRead()
		if val < int64(p.nrCPUs)*p.propBatch {
			val = pl.events.percpuCounterSum()
		}
		pl.events.__percpuCounterAdd(cpu, p.nrCPUs, -val+(val>>(period-pl.period)), p.propBatch)
	} else {
		pl.events.percpuCounterSet(0)
	}
	pl.period = period
}

// fpropFractionPercpu is fprop_fraction_percpu(): the local share of the
// events, as numerator and denominator from the folded counts
// (percpu_counter_read_positive), never above 1.
func (pl *fpropLocal) fpropFractionPercpu(p *fpropGlobal, cpu int) (num, den int64) {
	pl.fpropReflectPeriodPercpu(p, cpu)
	num = pl.events.percpuCounterReadPositive()
	den = p.events.percpuCounterReadPositive()
	if den <= num {
		if num != 0 {
			den = num
		} else {
			den = 1
		}
	}
	return num, den
}

// __fpropIncPercpuMax is __fprop_inc_percpu_max(): count an event on cpu
// unless the local share is already above maxFrac/FPROP_FRAC_BASE.
func (pl *fpropLocal) __fpropIncPercpuMax(p *fpropGlobal, cpu int, maxFrac int64) {
	if maxFrac < FPROP_FRAC_BASE {
		num, den := pl.fpropFractionPercpu(p, cpu)
		if uint64(num) > uint64(den)*uint64(maxFrac)>>FPROP_FRAC_SHIFT {
			return
		}
	} else {
		pl.fpropReflectPeriodPercpu(p, cpu)
	}
	pl.events.__percpuCounterAdd(cpu, p.nrCPUs, 1, p.propBatch)
	p.events.__percpuCounterAdd(cpu, p.nrCPUs, 1, p.batch)
}
