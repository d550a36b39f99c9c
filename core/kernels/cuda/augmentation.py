"""Augmentation kernels on the device: for now the CPU kernels run on copies brought to the host (see
:mod:`core.kernels.cuda._fallback`)."""

from core.kernels.cpu import augmentation as _cpu
from core.kernels.cuda._fallback import hosted

affine_resample = hosted(_cpu.affine_resample)
affine_resample_backward = hosted(_cpu.affine_resample_backward)
flip_images = hosted(_cpu.flip_images)
crop_images = hosted(_cpu.crop_images)
crop_images_backward = hosted(_cpu.crop_images_backward)

__all__ = ["affine_resample", "affine_resample_backward", "flip_images", "crop_images", "crop_images_backward"]
