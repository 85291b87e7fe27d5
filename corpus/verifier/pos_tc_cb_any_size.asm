# __sk_buff.cb[] takes stores and loads of 1, 2 and 8 bytes too (an 8-byte one spans two u32s)
# type: sched_cls
# expect: accept
# kernel: accept
sth [%r1+50], 1
stb [%r1+53], 2
stdw [%r1+56], 3
ldxdw %r2, [%r1+48]
ldxb %r3, [%r1+67]
mov %r0, 0
exit
