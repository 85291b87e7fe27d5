# an xdp dynptr's slice used after bpf_xdp_adjust_head: slices of packet dynptrs go with packet pointers (clear_all_pkt_pointers)
# type: xdp
# expect: R7 invalid mem access 'scalar'
# kernel: reject
mov %r6, %r1
mov %r2, 0
mov %r3, %r10
add %r3, -16
call kfunc bpf_dynptr_from_xdp
mov %r1, %r10
add %r1, -16
mov %r2, 0
mov %r3, 0
mov %r4, 8
call kfunc bpf_dynptr_slice
jeq %r0, 0, out
mov %r7, %r0
mov %r1, %r6
mov %r2, 0
call 44
ldxdw %r1, [%r7+0]
out:
mov %r0, 2
exit
