# csum_diff with from = NULL and a size that may be 0 or 4: not provably 0
# type: xdp
# expect: R1 type=scalar expected=fp
# kernel: reject
stw [%r10-4], 0x01020304
call 7
mov %r2, %r0
and %r2, 4
mov %r1, 0
mov %r3, %r10
add %r3, -4
mov %r4, 4
mov %r5, 0
call 28
mov %r0, 2
exit
