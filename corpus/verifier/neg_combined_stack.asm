# 320 + 256 bytes of stack on one call chain
# type: xdp
# expect: combined stack size of 2 calls is 576. Too large
# kernel: reject
stdw [%r10-320], 0
call local f
exit
f:
stdw [%r10-256], 0
mov %r0, 0
exit
