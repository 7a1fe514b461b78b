// Embeds the fatbin that nvcc built from kernels.cu (path in TFJIT_CUDA_FATBIN) into libtfjit,
// so the eager kernels load with cuModuleLoadData and need no CUDA runtime library.
__asm__(
    ".section .rodata\n"
    ".global tfjit_cuda_kernel_image\n"
    ".balign 64\n"
    "tfjit_cuda_kernel_image:\n"
    ".incbin \"" TFJIT_CUDA_FATBIN
    "\"\n"
    ".previous\n");
