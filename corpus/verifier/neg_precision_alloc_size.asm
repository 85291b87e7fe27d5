# precision: ringbuf_reserve's size decides the record's bounds: 64 after one path, 8 after the other; a write at offset 16
# type: xdp
# map: events ringbuf key=0 value=0 entries=4096
# expect: invalid access to memory, mem_size=8 off=16 size=8
# kernel: reject
call 7
mov %r6, %r0
and %r6, 1
mov %r7, 0
mov %r8, 0
mov %r9, 0
mov %r2, 8
jeq %r6, 0, join
mov %r2, 64
jeq %r6, 5, join
mov %r3, 0
mov %r3, 1
mov %r3, 2
mov %r3, 3
mov %r3, 4
mov %r3, 5
mov %r3, 6
mov %r3, 7
ja join
join:
lddw %r1, map_fd 0
mov %r3, 0
call 131
jeq %r0, 0, out
stdw [%r0+16], 1
mov %r1, %r0
mov %r2, 0
call 132
out:
mov %r0, 0
exit
