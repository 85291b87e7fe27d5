# bpf_xdp_adjust_head invalidates every packet pointer
# type: xdp
# expect: R2 invalid mem access 'scalar'
# kernel: reject
mov %r6, %r1
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r4, %r2
add %r4, 14
jgt %r4, %r3, drop
mov %r7, %r2
mov %r1, %r6
mov %r2, 4
call 44
mov %r2, %r7
ldxb %r0, [%r2+0]
exit
drop:
mov %r0, 1
exit
