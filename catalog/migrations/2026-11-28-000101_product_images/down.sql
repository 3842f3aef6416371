DROP TABLE image_blobs;
DROP TABLE product_images;
