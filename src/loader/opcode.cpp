#include "loader/opcode.hpp"

namespace espfab::loader {

std::string_view to_string(Opcode opcode) {
  switch (opcode) {
    case Opcode::FlashBegin: return "FLASH_BEGIN";
    case Opcode::FlashData: return "FLASH_DATA";
    case Opcode::FlashEnd: return "FLASH_END";
    case Opcode::MemBegin: return "MEM_BEGIN";
    case Opcode::MemEnd: return "MEM_END";
    case Opcode::MemData: return "MEM_DATA";
    case Opcode::Sync: return "SYNC";
    case Opcode::WriteReg: return "WRITE_REG";
    case Opcode::ReadReg: return "READ_REG";
    case Opcode::SpiSetParams: return "SPI_SET_PARAMS";
    case Opcode::SpiAttach: return "SPI_ATTACH";
    case Opcode::ReadFlashSlow: return "READ_FLASH_SLOW";
    case Opcode::ChangeBaudrate: return "CHANGE_BAUDRATE";
    case Opcode::FlashDeflBegin: return "FLASH_DEFL_BEGIN";
    case Opcode::FlashDeflData: return "FLASH_DEFL_DATA";
    case Opcode::FlashDeflEnd: return "FLASH_DEFL_END";
    case Opcode::SpiFlashMd5: return "SPI_FLASH_MD5";
    case Opcode::GetSecurityInfo: return "GET_SECURITY_INFO";
    case Opcode::EraseFlash: return "ERASE_FLASH";
    case Opcode::EraseRegion: return "ERASE_REGION";
    case Opcode::ReadFlash: return "READ_FLASH";
    case Opcode::RunUserCode: return "RUN_USER_CODE";
    case Opcode::FlashEncryptData: return "FLASH_ENCRYPT_DATA";
  }
  return "UNKNOWN";
}

}  // namespace espfab::loader
