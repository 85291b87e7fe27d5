# the same with r1 bounded one higher: r2 = r1 + 1 may be 10, past the 10-byte value
# type: xdp
# map: buf array key=4 value=10 entries=1
# expect: invalid access to map value, value_size=10 off=10 size=1
# kernel: reject
call 5
jgt %r0, 8, out
mov %r1, %r0
add %r1, 1
mov %r2, %r1
add %r2, 1
jgt %r1, 9, out
lddw %r3, map_value 0, 0
add %r3, %r2
stb [%r3+0], 0
out:
mov %r0, 2
exit
