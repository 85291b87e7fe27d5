# a path whose pointer is only in range may not be pruned by a checkpoint where it was known past data_end (that state decided the next comparison)
# type: xdp
# expect: invalid access to packet, off=8 size=1
# kernel: reject
ldxw %r2, [%r1+0]
ldxw %r3, [%r1+4]
mov %r6, 0
mov %r7, 0
mov %r8, 0
mov %r9, 0
mov %r4, %r2
add %r4, 8
jle %r4, %r3, inside
mov %r6, 1
ja join
inside:
mov %r6, 1
join:
mov %r7, 1
mov %r8, 1
mov %r7, 2
mov %r8, 2
mov %r7, 3
mov %r8, 3
mov %r7, 4
mov %r8, 4
jgt %r4, %r3, out
ldxb %r0, [%r4+0]
exit
out:
mov %r0, 2
exit
