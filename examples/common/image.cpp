#include "image.h"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>

namespace examples {
namespace {

bool read_png(const std::string& path, Image* out, std::string* error) {
  png_image png;
  std::memset(&png, 0, sizeof png);
  png.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&png, path.c_str())) {
    *error = "'" + path + "': " + png.message;
    return false;
  }
  png.format = PNG_FORMAT_RGB;  // libpng converts gray, palette and alpha images to 8-bit RGB
  out->width = static_cast<int>(png.width);
  out->height = static_cast<int>(png.height);
  out->rgb.resize(PNG_IMAGE_SIZE(png));
  if (!png_image_finish_read(&png, nullptr, out->rgb.data(), 0, nullptr)) {
    *error = "'" + path + "': " + png.message;
    png_image_free(&png);
    return false;
  }
  return true;
}

// Skips whitespace and '#' comments between PPM header fields.
void skip_ppm_space(std::istream& in) {
  for (;;) {
    const int c = in.peek();
    if (c == '#') {
      in.ignore(1 << 20, '\n');
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      in.get();
    } else {
      return;
    }
  }
}

bool read_ppm(const std::string& path, Image* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  std::string magic;
  in >> magic;
  int w = 0, h = 0, maxval = 0;
  skip_ppm_space(in);
  in >> w;
  skip_ppm_space(in);
  in >> h;
  skip_ppm_space(in);
  in >> maxval;
  if (!in || magic != "P6" || w <= 0 || h <= 0 || w > 1 << 15 || h > 1 << 15 || maxval != 255) {
    *error = "'" + path + "': not a binary 8-bit PPM (P6, maxval 255)";
    return false;
  }
  in.get();  // the single whitespace byte before the pixels
  out->width = w;
  out->height = h;
  out->rgb.resize(static_cast<size_t>(w) * h * 3);
  if (!in.read(reinterpret_cast<char*>(out->rgb.data()),
               static_cast<std::streamsize>(out->rgb.size()))) {
    *error = "'" + path + "': truncated pixel data";
    return false;
  }
  return true;
}

}  // namespace

bool read_image(const std::string& path, Image* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  char head[8] = {};
  in.read(head, sizeof head);
  if (in.gcount() >= 8 && png_sig_cmp(reinterpret_cast<png_const_bytep>(head), 0, 8) == 0) {
    return read_png(path, out, error);
  }
  if (head[0] == 'P' && head[1] == '6') return read_ppm(path, out, error);
  *error = "'" + path + "': not a PNG or binary PPM file";
  return false;
}

Image resize(const Image& img, int width, int height) {
  Image out;
  out.width = width;
  out.height = height;
  out.rgb.resize(static_cast<size_t>(width) * height * 3);
  const float sx = static_cast<float>(img.width) / width;
  const float sy = static_cast<float>(img.height) / height;
  for (int y = 0; y < height; ++y) {
    // Pixel centers map to pixel centers (align_corners=False, like torchvision).
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.0f, img.height - 1.0f);
    const int y0 = static_cast<int>(fy);
    const int y1 = std::min(y0 + 1, img.height - 1);
    const float wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const float fx = std::clamp((x + 0.5f) * sx - 0.5f, 0.0f, img.width - 1.0f);
      const int x0 = static_cast<int>(fx);
      const int x1 = std::min(x0 + 1, img.width - 1);
      const float wx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) {
          return static_cast<float>(img.rgb[(static_cast<size_t>(yy) * img.width + xx) * 3 + c]);
        };
        const float top = at(y0, x0) * (1 - wx) + at(y0, x1) * wx;
        const float bottom = at(y1, x0) * (1 - wx) + at(y1, x1) * wx;
        const float v = top * (1 - wy) + bottom * wy;
        out.rgb[(static_cast<size_t>(y) * width + x) * 3 + c] =
            static_cast<uint8_t>(std::lround(std::clamp(v, 0.0f, 255.0f)));
      }
    }
  }
  return out;
}

std::vector<float> imagenet_tensor(const Image& img, int size) {
  const int short_side = size * 256 / 224;
  const float s = static_cast<float>(short_side) / std::min(img.width, img.height);
  const Image r = resize(img, std::max(size, static_cast<int>(std::lround(img.width * s))),
                         std::max(size, static_cast<int>(std::lround(img.height * s))));
  const int left = (r.width - size) / 2;
  const int top = (r.height - size) / 2;
  const float mean[3] = {0.485f, 0.456f, 0.406f};
  const float stddev[3] = {0.229f, 0.224f, 0.225f};
  std::vector<float> out(static_cast<size_t>(3) * size * size);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        const uint8_t v = r.rgb[(static_cast<size_t>(y + top) * r.width + (x + left)) * 3 + c];
        out[(static_cast<size_t>(c) * size + y) * size + x] = (v / 255.0f - mean[c]) / stddev[c];
      }
    }
  }
  return out;
}

std::vector<float> letterbox_tensor(const Image& img, int size, Letterbox* box) {
  box->scale =
      std::min(static_cast<float>(size) / img.width, static_cast<float>(size) / img.height);
  const int w = std::max(1, static_cast<int>(std::lround(img.width * box->scale)));
  const int h = std::max(1, static_cast<int>(std::lround(img.height * box->scale)));
  const int left = (size - w) / 2;
  const int top = (size - h) / 2;
  box->pad_x = static_cast<float>(left);
  box->pad_y = static_cast<float>(top);
  const Image r = resize(img, w, h);
  std::vector<float> out(static_cast<size_t>(3) * size * size, 114.0f / 255.0f);
  for (int c = 0; c < 3; ++c) {
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const uint8_t v = r.rgb[(static_cast<size_t>(y) * w + x) * 3 + c];
        out[(static_cast<size_t>(c) * size + y + top) * size + x + left] = v / 255.0f;
      }
    }
  }
  return out;
}

}  // namespace examples
