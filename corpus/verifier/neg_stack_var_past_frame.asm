# variable stack offset whose range leaves the frame
# type: xdp
# expect: invalid variable-offset write to stack R1 var_off=(0x0; 0x3f8) off=-512 size=8
# kernel: reject
call 7
and %r0, 0x3f8
mov %r1, %r10
add %r1, -512
add %r1, %r0
mov %r2, 0
stxdw [%r1+0], %r2
mov %r0, 0
exit
