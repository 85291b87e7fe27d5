# socket filters may write only cb[], not mark
# type: socket_filter
# expect: invalid bpf_context access off=8 size=4
# kernel: reject
mov %r2, 1
stxw [%r1+8], %r2
mov %r0, 0
exit
