# bpf_printk("...") with no values: trace_printk's proto types only fmt and fmt_size, r3-r5 may be unset
# type: xdp
# expect: accept
# kernel: accept
stw [%r10-4], 0x216968
mov %r1, %r10
add %r1, -4
mov %r2, 4
call 6
mov %r0, 2
exit
