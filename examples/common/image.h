// Image input for the example apps: read a PNG (libpng) or binary PPM (P6) file into 8-bit RGB,
// and turn it into the float NCHW tensors vision models take.
//
//   Image img;
//   std::string error;
//   if (!read_image("chelsea.png", &img, &error)) { std::fprintf(stderr, "%s\n", error.c_str()); }
//   std::vector<float> x = imagenet_tensor(img, 224);      // classifier input, 1x3x224x224
//   Letterbox lb;
//   std::vector<float> y = letterbox_tensor(img, 640, &lb);  // detector input, 1x3x640x640
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace examples {

struct Image {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // height * width * 3, row-major, interleaved R, G, B
};

// PNG (any color type; alpha is dropped, gray is replicated) or binary PPM, by file content.
bool read_image(const std::string& path, Image* out, std::string* error);

// Bilinear resize to width x height.
Image resize(const Image& img, int width, int height);

// The torchvision ImageNet preprocessing: resize the short side to size * 256 / 224, crop the
// center size x size, scale to [0, 1], subtract the ImageNet mean and divide by its standard
// deviation; returns 1 x 3 x size x size floats (NCHW).
std::vector<float> imagenet_tensor(const Image& img, int size);

// Where the original image lies in a letterboxed square.
struct Letterbox {
  float scale = 1.0f;  // model pixels per image pixel
  float pad_x = 0.0f;  // left padding, model pixels
  float pad_y = 0.0f;  // top padding, model pixels
};

// The YOLO preprocessing: scale the image to fit size x size keeping its aspect ratio, center
// it on gray (114), scale to [0, 1]; returns 1 x 3 x size x size floats (NCHW).
std::vector<float> letterbox_tensor(const Image& img, int size, Letterbox* box);

}  // namespace examples
