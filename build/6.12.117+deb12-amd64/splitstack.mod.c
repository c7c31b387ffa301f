#include <linux/module.h>
#include <linux/export-internal.h>
#include <linux/compiler.h>

MODULE_INFO(name, KBUILD_MODNAME);

__visible struct module __this_module
__section(".gnu.linkonce.this_module") = {
	.name = KBUILD_MODNAME,
	.init = init_module,
#ifdef CONFIG_MODULE_UNLOAD
	.exit = cleanup_module,
#endif
	.arch = MODULE_ARCH_INIT,
};



static const struct modversion_info ____versions[]
__used __section("__versions") = {
	{ 0xa8b1a2e, "register_pernet_subsys" },
	{ 0x122c3a7e, "_printk" },
	{ 0xe6d2458e, "do_trace_netlink_extack" },
	{ 0xf0fdf6cb, "__stack_chk_fail" },
	{ 0xe46021ca, "_raw_spin_unlock_bh" },
	{ 0xdc3eabd6, "__alloc_skb" },
	{ 0x400062c3, "compat_ptr_ioctl" },
	{ 0x1d407175, "fput" },
	{ 0x8df92f66, "memchr_inv" },
	{ 0x2469810f, "__rcu_read_unlock" },
	{ 0x2ce3dbe0, "sk_skb_reason_drop" },
	{ 0x8530414a, "netlink_unicast" },
	{ 0x312bf79a, "noop_llseek" },
	{ 0x4dfa8d4b, "mutex_lock" },
	{ 0xeb03e162, "nla_put" },
	{ 0x950eb34e, "__list_del_entry_valid_or_report" },
	{ 0x53a1e8d9, "_find_next_bit" },
	{ 0xcefb0c9f, "__mutex_init" },
	{ 0x37befc70, "jiffies_to_msecs" },
	{ 0x3118980a, "unregister_pernet_subsys" },
	{ 0x9e683f75, "__cpu_possible_mask" },
	{ 0x8f0b1b34, "misc_register" },
	{ 0x5b8239ca, "__x86_return_thunk" },
	{ 0xf1db1704, "nla_memcpy" },
	{ 0x17de3d5, "nr_cpu_ids" },
	{ 0x8152f12b, "skb_trim" },
	{ 0xc9ec4e21, "free_percpu" },
	{ 0x15ba50a6, "jiffies" },
	{ 0x44c10a52, "kvfree_call_rcu" },
	{ 0xc25d94c1, "pcpu_alloc_noprof" },
	{ 0x3213f038, "mutex_unlock" },
	{ 0xbec2158c, "__kmalloc_cache_noprof" },
	{ 0xc3690fc, "_raw_spin_lock_bh" },
	{ 0x34424780, "genl_unregister_family" },
	{ 0x60a13e90, "rcu_barrier" },
	{ 0x7aa1756e, "kvfree" },
	{ 0x6ae3231a, "genl_register_family" },
	{ 0x9d692620, "sockfd_lookup" },
	{ 0x31f2a14c, "__kvmalloc_node_noprof" },
	{ 0xf9218641, "kmalloc_caches" },
	{ 0x88db9f48, "__check_object_size" },
	{ 0xc37da9a3, "misc_deregister" },
	{ 0x7696f8c7, "__list_add_valid_or_report" },
	{ 0x13c49cc2, "_copy_from_user" },
	{ 0x8d522714, "__rcu_read_lock" },
	{ 0xb66ec7d0, "nla_put_64bit" },
	{ 0xf80cfe1, "genlmsg_put" },
	{ 0x37a0cba, "kfree" },
	{ 0xb19a5453, "__per_cpu_offset" },
	{ 0xbdfb6dbb, "__fentry__" },
	{ 0x2f9b2b9a, "module_layout" },
};

MODULE_INFO(depends, "");


MODULE_INFO(srcversion, "AE0EE65D58415AB1EBBC24A");
