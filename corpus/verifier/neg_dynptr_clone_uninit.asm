# bpf_dynptr_clone of stack that holds no dynptr
# type: xdp
# expect: Expected an initialized dynptr as arg #0
# kernel: reject
mov %r1, %r10
add %r1, -16
mov %r2, %r10
add %r2, -32
call kfunc bpf_dynptr_clone
mov %r0, 2
exit
