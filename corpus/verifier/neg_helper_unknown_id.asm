# no helper has id 9999
# type: xdp
# expect: invalid func unknown#9999
# kernel: reject
call 9999
mov %r0, 0
exit
