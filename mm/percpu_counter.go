// SPDX-License-Identifier: GPL-2.0-only

package mm

// percpuCounter is struct percpu_counter (include/linux/percpu_counter.h,
// lib/percpu_counter.c, CONFIG_SMP): a shared count and a per-CPU delta.
// An add goes to the delta of the CPU it runs on, and only when that
// delta reaches the batch in magnitude is it folded into the count, so a
// plain read lags the true value by up to batch-1 per CPU while a sum
// walks every CPU.
//
// Model: no CPU hotplug, so percpu_counter_hotcpu_callback never folds a
// dead CPU's delta.
type percpuCounter struct {
	count int64
	// counters is the per-CPU s32 delta, indexed by CPU; allocated on
	// the first add (percpu_counter_init allocates it zeroed).
	counters []int32
}

// __percpuCounterAdd is __percpu_counter_add(): add amount to cpu's delta,
// folding the whole delta into the count once it is at least batch in
// magnitude. nrCPUs sizes the per-CPU array on first use.
func (c *percpuCounter) __percpuCounterAdd(cpu, nrCPUs int, amount int64, batch int64) {
	if c.counters == nil {
		c.counters = make([]int32, nrCPUs)
	}
	n := int64(c.counters[cpu]) + amount
	if n >= batch || n <= -batch {
		c.count += n
		c.counters[cpu] = 0
		return
	}
	c.counters[cpu] = int32(n)
}

// percpuCounterSet is percpu_counter_set(): every CPU's delta zeroed,
// the count set to amount.
func (c *percpuCounter) percpuCounterSet(amount int64) {
	clear(c.counters)
	c.count = amount
}

// percpuCounterRead is percpu_counter_read(): the folded count alone,
// which may be negative.
func (c *percpuCounter) percpuCounterRead() int64 { return c.count }

// percpuCounterReadPositive is percpu_counter_read_positive(): the
// folded count, 0 when negative.
func (c *percpuCounter) percpuCounterReadPositive() int64 { return max(c.count, 0) }

// percpuCounterSum is percpu_counter_sum(): the count plus every online
// CPU's delta, the exact value.
func (c *percpuCounter) percpuCounterSum() int64 {
	n := c.count
	for _, d := range c.counters {
		n += int64(d)
	}
	return n
}

// percpuCounterSumPositive is percpu_counter_sum_positive().
func (c *percpuCounter) percpuCounterSumPositive() int64 { return max(c.percpuCounterSum(), 0) }
