# cmpxchg through r0, the register it loads the old value into (that register is written before the access is checked)
# type: xdp
# map: counts array key=4 value=16 entries=1
# expect: misaligned access off (0x0; 0xffffffffffffffff)+0+0 size 8
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, +2
mov %r1, 1
lock cmpxchg [%r0+0], %r1
mov %r0, 2
exit
