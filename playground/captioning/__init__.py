"""Image captioning: image loading, the frozen pretrained encoder, ImageNet labels, captions."""
