// SPDX-License-Identifier: GPL-2.0
/*
 * xenlab_hang: fault injection for the vtrace Xen lab.
 *
 * Starts one kernel thread per selected vCPU.  Each thread is bound to its
 * vCPU, sleeps delay_ms (so that insmod returns first), then disables
 * interrupts (mode=irqoff) or only preemption (mode=preemptoff), issues a
 * marker of `marker` SCHEDOP_yield hypercalls in a row, and spins forever.
 * The hypervisor records each yield as TRC_SCHED_YIELD [domid, vcpu], which
 * marks the onset of the hang on the trace's own clock.  The yields carry a
 * magic value as their (ignored) argument, which the PV hypercall trace
 * records also show.
 *
 * Parameters:
 *   mode=irqoff|preemptoff   what to disable before spinning
 *   cpus=MASK                vCPUs to hang (bit n = vCPU n), default 0x1
 *   delay_ms=N               sleep before the marker, default 1000
 *   marker=N                 number of yields in the marker, default 7
 *
 * The module can never be unloaded (its threads never return).
 */
#include <linux/module.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/delay.h>
#include <linux/sched.h>
#include <linux/cpumask.h>
#include <linux/irqflags.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include <xen/xen.h>
#include <xen/interface/sched.h>
#include <asm/xen/hypercall.h>

#define XENLAB_MAGIC 0x58454e4cUL /* "XENL" */

static char *mode = "irqoff";
module_param(mode, charp, 0444);
MODULE_PARM_DESC(mode, "irqoff or preemptoff");
static unsigned long cpus = 1;
module_param(cpus, ulong, 0444);
MODULE_PARM_DESC(cpus, "bit mask of vCPUs to hang");
static unsigned int delay_ms = 1000;
module_param(delay_ms, uint, 0444);
static unsigned int marker = 7;
module_param(marker, uint, 0444);

static bool irqs_off;

static int xenlab_spin(void *unused)
{
	unsigned int i;

	msleep(delay_ms);
	if (irqs_off)
		local_irq_disable();
	else
		preempt_disable();
	for (i = 0; i < marker; i++)
		HYPERVISOR_sched_op(SCHEDOP_yield, (void *)XENLAB_MAGIC);
	for (;;)
		cpu_relax();
	return 0;
}

static int __init xenlab_hang_init(void)
{
	unsigned int cpu;
	struct task_struct *t;
	int started = 0;

	if (!xen_domain()) {
		pr_err("xenlab_hang: not running on Xen\n");
		return -ENODEV;
	}
	if (!strcmp(mode, "irqoff"))
		irqs_off = true;
	else if (!strcmp(mode, "preemptoff"))
		irqs_off = false;
	else {
		pr_err("xenlab_hang: unknown mode '%s'\n", mode);
		return -EINVAL;
	}
	for_each_online_cpu(cpu) {
		if (cpu >= BITS_PER_LONG || !(cpus & (1UL << cpu)))
			continue;
		t = kthread_create(xenlab_spin, NULL, "xenlab_hang/%u", cpu);
		if (IS_ERR(t))
			return PTR_ERR(t);
		kthread_bind(t, cpu);
		wake_up_process(t);
		started++;
	}
	if (!started) {
		pr_err("xenlab_hang: no online vCPU in mask 0x%lx\n", cpus);
		return -EINVAL;
	}
	pr_info("xenlab_hang: %d thread(s), mode=%s, spin in %u ms\n",
		started, mode, delay_ms);
	return 0;
}
module_init(xenlab_hang_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vtrace Xen lab: hang vCPUs after a SCHEDOP_yield marker");
