"""YOLOv8n (nano) detector, rebuilt from plain torch modules with random weights.

The layer graph follows the published YOLOv8 design at the 'n' scale (depth 0.33, width 0.25):

  backbone  Conv s2 -> Conv s2 -> C2f -> Conv s2 -> C2f x2 -> Conv s2 -> C2f x2 -> Conv s2
            -> C2f -> SPPF                                   (strides 8, 16, 32 tapped)
  neck      nearest 2x upsample + concat, C2f (top-down); strided Conv + concat, C2f
            (bottom-up), giving P3/8 (64 ch), P4/16 (128 ch), P5/32 (256 ch)
  head      decoupled per level: box branch (2 Conv + 1x1 to 4*16 distribution bins) and class
            branch (2 Conv + 1x1 to 80 classes); the box bins are decoded by DFL (softmax over
            16 bins, expectation via a fixed 1x1 conv), turned into xywh around the anchor
            points and scaled by the stride; classes go through a sigmoid.

Output: 1 x 84 x 8400 for a 640 x 640 image (4 box coordinates in pixels + 80 class scores
for 80*80 + 40*40 + 20*20 anchors), as the inference-mode export of the real model.
Anchor points and strides depend only on the input size, so they are buffers computed once.
"""
import torch
import torch.nn as nn

NUM_CLASSES = 80
REG_MAX = 16  # distribution bins per box side (DFL)
STRIDES = (8, 16, 32)


class ConvBnSiLU(nn.Module):
    """Conv2d without bias + BatchNorm + SiLU, 'same' padding: the basic YOLOv8 block."""

    def __init__(self, c_in, c_out, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.03)
        self.act = nn.SiLU()

    def forward(self, x):
        return self.act(self.bn(self.conv(x)))


class Bottleneck(nn.Module):
    """Two 3x3 ConvBnSiLU, with a residual add when asked and the widths match."""

    def __init__(self, c, shortcut):
        super().__init__()
        self.cv1 = ConvBnSiLU(c, c, 3)
        self.cv2 = ConvBnSiLU(c, c, 3)
        self.add = shortcut

    def forward(self, x):
        y = self.cv2(self.cv1(x))
        return x + y if self.add else y


class C2f(nn.Module):
    """CSP block with 2 convs: split a 1x1 conv's output in two halves, run n bottlenecks on
    the second, concatenate every intermediate and fuse with a 1x1 conv."""

    def __init__(self, c_in, c_out, n, shortcut):
        super().__init__()
        self.c = c_out // 2
        self.cv1 = ConvBnSiLU(c_in, 2 * self.c, 1)
        self.cv2 = ConvBnSiLU((2 + n) * self.c, c_out, 1)
        self.m = nn.ModuleList(Bottleneck(self.c, shortcut) for _ in range(n))

    def forward(self, x):
        y = list(self.cv1(x).chunk(2, 1))
        for m in self.m:
            y.append(m(y[-1]))
        return self.cv2(torch.cat(y, 1))


class SPPF(nn.Module):
    """Spatial pyramid pooling, fast: three chained 5x5 stride-1 max pools, all concatenated."""

    def __init__(self, c_in, c_out, k=5):
        super().__init__()
        hidden = c_in // 2
        self.cv1 = ConvBnSiLU(c_in, hidden, 1)
        self.cv2 = ConvBnSiLU(4 * hidden, c_out, 1)
        self.m = nn.MaxPool2d(k, 1, k // 2)

    def forward(self, x):
        x = self.cv1(x)
        y1 = self.m(x)
        y2 = self.m(y1)
        return self.cv2(torch.cat((x, y1, y2, self.m(y2)), 1))


class DFL(nn.Module):
    """Distribution focal loss decoder: each box side is the expectation of a softmax over
    REG_MAX bins, computed by a frozen 1x1 conv whose weights are 0..REG_MAX-1."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(REG_MAX, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(REG_MAX, dtype=torch.float).view(1, REG_MAX, 1, 1)

    def forward(self, x):
        b, _, a = x.shape
        x = x.view(b, 4, REG_MAX, a).transpose(2, 1).softmax(1)
        return self.conv(x).view(b, 4, a)


def _anchors(image_size):
    """Anchor point centres (2 x A, in grid units) and their strides (1 x A) for all levels."""
    points, strides = [], []
    for s in STRIDES:
        n = image_size // s
        centre = torch.arange(n, dtype=torch.float) + 0.5
        yy, xx = torch.meshgrid(centre, centre, indexing="ij")
        points.append(torch.stack((xx, yy), -1).view(-1, 2))
        strides.append(torch.full((n * n, 1), float(s)))
    return torch.cat(points).transpose(0, 1), torch.cat(strides).transpose(0, 1)


class Detect(nn.Module):
    """Decoupled, anchor-free detection head over three pyramid levels."""

    def __init__(self, channels, image_size):
        super().__init__()
        self.no = NUM_CLASSES + 4 * REG_MAX
        c_box = max(16, channels[0] // 4, 4 * REG_MAX)
        c_cls = max(channels[0], min(NUM_CLASSES, 100))
        self.cv2 = nn.ModuleList(
            nn.Sequential(ConvBnSiLU(c, c_box, 3), ConvBnSiLU(c_box, c_box, 3),
                          nn.Conv2d(c_box, 4 * REG_MAX, 1)) for c in channels)
        self.cv3 = nn.ModuleList(
            nn.Sequential(ConvBnSiLU(c, c_cls, 3), ConvBnSiLU(c_cls, c_cls, 3),
                          nn.Conv2d(c_cls, NUM_CLASSES, 1)) for c in channels)
        self.dfl = DFL()
        anchors, strides = _anchors(image_size)
        self.register_buffer("anchors", anchors.unsqueeze(0), persistent=False)
        self.register_buffer("strides", strides, persistent=False)

    def forward(self, feats):
        b = feats[0].shape[0]
        x = torch.cat([torch.cat((box(f), cls(f)), 1).view(b, self.no, -1)
                       for f, box, cls in zip(feats, self.cv2, self.cv3)], 2)
        box, cls = x.split((4 * REG_MAX, NUM_CLASSES), 1)
        left_top, right_bottom = self.dfl(box).chunk(2, 1)
        x1y1 = self.anchors - left_top
        x2y2 = self.anchors + right_bottom
        xywh = torch.cat(((x1y1 + x2y2) / 2, x2y2 - x1y1), 1)
        return torch.cat((xywh * self.strides, cls.sigmoid()), 1)


class YOLOv8n(nn.Module):
    def __init__(self, image_size=640):
        super().__init__()
        self.b0 = ConvBnSiLU(3, 16, 3, 2)
        self.b1 = ConvBnSiLU(16, 32, 3, 2)
        self.b2 = C2f(32, 32, 1, True)
        self.b3 = ConvBnSiLU(32, 64, 3, 2)
        self.b4 = C2f(64, 64, 2, True)  # P3/8
        self.b5 = ConvBnSiLU(64, 128, 3, 2)
        self.b6 = C2f(128, 128, 2, True)  # P4/16
        self.b7 = ConvBnSiLU(128, 256, 3, 2)
        self.b8 = C2f(256, 256, 1, True)
        self.b9 = SPPF(256, 256)  # P5/32
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.n12 = C2f(256 + 128, 128, 1, False)
        self.n15 = C2f(128 + 64, 64, 1, False)
        self.n16 = ConvBnSiLU(64, 64, 3, 2)
        self.n18 = C2f(64 + 128, 128, 1, False)
        self.n19 = ConvBnSiLU(128, 128, 3, 2)
        self.n21 = C2f(128 + 256, 256, 1, False)
        self.detect = Detect((64, 128, 256), image_size)

    def forward(self, x):
        p3 = self.b4(self.b3(self.b2(self.b1(self.b0(x)))))
        p4 = self.b6(self.b5(p3))
        p5 = self.b9(self.b8(self.b7(p4)))
        t4 = self.n12(torch.cat((self.up(p5), p4), 1))
        o3 = self.n15(torch.cat((self.up(t4), p3), 1))
        o4 = self.n18(torch.cat((self.n16(o3), t4), 1))
        o5 = self.n21(torch.cat((self.n19(o4), p5), 1))
        return self.detect([o3, o4, o5])


def build(image_size=640):
    """Returns (module, make_inputs): make_inputs(batch) gives a random batch of images."""
    return YOLOv8n(image_size), lambda n: (torch.rand(n, 3, image_size, image_size),)
